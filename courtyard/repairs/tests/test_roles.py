"""The default roles hold the repairs permissions of their duties, and no more."""

import pytest
from django.contrib.auth.models import Group

from courtyard.accounts.administration.services import ensure_default_roles

pytestmark = pytest.mark.django_db

ACTIONS = ("accept", "dispatch", "followup", "complete", "close", "cancel")


def repairs_perms(name):
    group = Group.objects.get(name=name)
    return set(
        group.permissions.filter(content_type__app_label="repairs").values_list(
            "codename", flat=True
        )
    )


def test_default_roles_repairs_permissions():
    ensure_default_roles()
    clerk, supervisor, tech = (repairs_perms(n) for n in ("客服专员", "运维主管", "维修人员"))
    assert {f"{a}_workorder" for a in ("accept", "dispatch", "cancel")} <= clerk
    assert {"view_workorder", "add_workorder"} <= clerk
    assert not {"followup_workorder", "complete_workorder", "close_workorder"} & clerk
    assert "view_repair_statistics" not in clerk and "add_repaircategory" not in clerk
    assert {f"{a}_workorder" for a in ACTIONS} | {"view_repair_statistics"} <= supervisor
    assert {"change_repaircategory", "change_technicianskill"} <= supervisor
    assert {"view_workorder", "followup_workorder", "complete_workorder"} <= tech
    assert not {"accept_workorder", "dispatch_workorder", "close_workorder"} & tech
    assert not {"cancel_workorder", "add_workorder", "change_workorder"} & tech
