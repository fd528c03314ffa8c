import pytest
from django.contrib.auth.models import Permission

from courtyard.core.modules import MODULES, navigation_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_system_permissions_are_real_permissions_of_the_system_app():
    codenames = set(
        Permission.objects.filter(content_type__app_label="system").values_list(
            "codename", flat=True
        )
    )
    assert codenames == {"change_parameters", "change_maintenance", "view_audit_log"}
    assert "system" in MODULES["system"].app_labels


def test_navigation_shows_each_system_page_to_its_permission_holders_only():
    def entries(user):
        return {item.url_name for module, items in navigation_for(user) for item in items}

    auditor = make_user("auditor", "system.view_audit_log")
    assert "system:audit_log" in entries(auditor)
    assert "system:parameters" not in entries(auditor)
    assert "system:message_list" in entries(make_user("ops", "core.view_message"))
    assert {"system:parameters", "system:maintenance"} <= entries(make_user("root", superuser=True))
