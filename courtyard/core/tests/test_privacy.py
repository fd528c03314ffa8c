"""The phone policy: masking, the full-identity permission, the owning module's exceptions,
and the pieces that apply it (template tag, Ninja resolver)."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from courtyard.core import privacy
from courtyard.repairs.models import WorkOrder
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_mask_phone_keeps_the_first_three_and_the_last_four_digits():
    assert privacy.mask_phone("13812345678") == "138****5678"
    assert privacy.mask_phone("") == "" and privacy.mask_phone(None) == ""
    assert privacy.mask_phone("110") == "110"


def test_the_full_identity_permission_sees_every_phone():
    assert privacy.sees_full_phone(make_user("full", "residents.view_full_identity"))
    clerk = make_user("clerk", "residents.view_resident")
    assert not privacy.sees_full_phone(clerk)
    assert privacy.shown_phone(clerk, "13812345678") == "138****5678"
    assert not privacy.sees_full_phone(AnonymousUser()) and not privacy.sees_full_phone(None)


def test_the_owning_module_declares_who_else_sees_a_record_in_full():
    tech = make_user("tech", "repairs.view_workorder")
    mine = WorkOrder(assignee=tech, status="dispatched", contact_phone="13812345678")
    closed = WorkOrder(assignee=tech, status="closed", contact_phone="13812345678")
    theirs = WorkOrder(assignee=make_user("other"), status="dispatched")
    assert privacy.phone_fields(WorkOrder) == ("contact_phone",)
    assert privacy.sees_full_phone(tech, mine)
    assert not privacy.sees_full_phone(tech, closed) and not privacy.sees_full_phone(tech, theirs)
    assert not privacy.sees_full_phone(tech)  # no record: no exception


def test_the_template_tag_and_the_api_resolver_apply_the_policy():
    tech = make_user("tech", "repairs.view_workorder")
    order = WorkOrder(assignee=make_user("other"), status="dispatched", contact_phone="13812345678")
    tag = Template('{% load courtyard_tags %}{% shown_phone order "contact_phone" %}')
    request = SimpleNamespace(user=tech)
    assert tag.render(Context({"order": order, "request": request})) == "138****5678"
    resolve = privacy.phone_resolver("contact_phone").__func__
    assert resolve(order, {"request": request}) == "138****5678"
    order.assignee = tech
    assert tag.render(Context({"order": order, "request": request})) == "13812345678"
    holder = SimpleNamespace(order=order)
    assert privacy.phone_resolver("order.contact_phone").__func__(holder, {"request": request}) == (
        "13812345678"
    )
