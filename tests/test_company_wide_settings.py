"""Company-wide settings concern every estate: message templates, system parameters,
maintenance mode, the default approval flows, roles (and charge items and new estates). A user
limited to some estates, even with the permission, sees them read only and is refused — 403
with the reason, on the pages and in the API — with nothing changed; a user whose data scope
covers all estates changes them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from courtyard.accounts.models import ApiToken, Role
from courtyard.core import message_templates, parameters
from courtyard.core.approvals import services as approvals
from courtyard.core.models import ApprovalFlow, MessageTemplate
from courtyard.system import services as system
from courtyard.system.selectors import maintenance_state
from tests.factories import EstateFactory, make_user, permissions

pytestmark = pytest.mark.django_db

REASON = "Only users whose data scope covers all estates may change company-wide settings."
KEY = "billing.reminder"
PREFIX = "billing__reminder"
ROLE_PERMS = ("accounts.view_role", "accounts.add_role", "accounts.change_role")
ROLE_PERMS += ("accounts.delete_role", "estates.view_unit")


@pytest.fixture
def estate(db):
    return EstateFactory()


@pytest.fixture
def limited(estate):
    """Makes a user holding ``perms`` whose data scope is one estate."""
    return lambda *perms: make_user("limited", *perms, estates=[estate])


@pytest.fixture
def everywhere(db):
    """Makes a user holding ``perms`` whose data scope covers all estates."""
    return lambda *perms: make_user("everywhere", *perms)


def bearer(user):
    _token, raw = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def refused(response, reason=REASON):
    """A 403 that tells why: the JSON ``detail`` in the API, the page's text on a page."""
    assert response.status_code == 403
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        assert (body["detail"], body["code"]) == (reason, "permission_denied")
    else:
        assert reason in response.content.decode()
    return True


def read_only(response, *controls):
    """A page that opens, says why it cannot be changed, and offers none of ``controls``."""
    page = response.content.decode()
    assert response.status_code == 200
    assert REASON in page
    assert [control for control in controls if control in page] == []
    return True


# Message templates ---------------------------------------------------------------------------


def template_post(client, action="save", **texts):
    data = {"key": KEY, "action": action}
    data.update({f"{PREFIX}-{name}": value for name, value in texts.items()})
    return client.post(reverse("system:message_templates"), data)


@pytest.fixture
def customised(db):
    system.save_message_template(None, KEY, subject="催缴", body="{owner_name}您好，请缴费。")
    return message_templates.current(KEY)


def test_a_limited_user_cannot_change_or_restore_message_templates_by_api(
    client, limited, customised
):
    headers = bearer(limited("core.view_messagetemplate", "core.change_messagetemplate"))
    url = f"/api/v1/message-templates/{KEY}"
    patch = client.patch(url, {"body": "改了"}, content_type="application/json", **headers)
    assert refused(patch)
    assert refused(client.post(f"{url}/restore-default", **headers))
    assert message_templates.current(KEY) == customised


def test_a_limited_user_sees_message_templates_read_only_and_cannot_post(
    client, limited, customised
):
    client.force_login(limited("core.view_messagetemplate", "core.change_messagetemplate"))
    page = client.get(reverse("system:message_templates"))
    assert read_only(page, 'data-testid="save-template"', 'data-testid="restore-template"')
    assert refused(template_post(client, subject="催缴", body="改了"))
    assert refused(template_post(client, "restore"))
    assert message_templates.current(KEY) == customised


def test_an_all_estates_user_changes_and_restores_message_templates(client, everywhere):
    user = everywhere("core.view_messagetemplate", "core.change_messagetemplate")
    url = f"/api/v1/message-templates/{KEY}"
    headers = bearer(user)
    patch = client.patch(
        url, {"body": "{owner_name}您好"}, content_type="application/json", **headers
    )
    assert patch.status_code == 200 and patch.json()["customised"]
    assert client.post(f"{url}/restore-default", **headers).status_code == 200
    client.force_login(user)
    assert template_post(client, subject="催缴", body="{owner_name}您好").status_code == 302
    assert MessageTemplate.objects.filter(key=KEY).exists()


# System parameters ---------------------------------------------------------------------------

IDLE = "security.idle_timeout_minutes"


def parameter_form(**overrides):
    """The parameters page's form as a browser posts it, with the current values."""
    data = {}
    for param in parameters.registered():
        value = parameters.get(param.key)
        if param.kind != parameters.BOOL:
            data[param.key.replace(".", "__")] = "" if value is None else str(value)
        elif value:
            data[param.key.replace(".", "__")] = "on"
    data.update(overrides)
    return data


def test_a_limited_user_sees_the_parameters_read_only_and_cannot_save(client, limited):
    client.force_login(limited("system.change_parameters"))
    before = parameters.get(IDLE)
    page = client.get(reverse("system:parameters"))
    assert read_only(page, 'data-testid="save-parameters"')
    assert "<fieldset disabled" in page.content.decode()
    response = client.post(
        reverse("system:parameters"), parameter_form(**{IDLE.replace(".", "__"): "45"})
    )
    assert refused(response)
    assert parameters.get(IDLE) == before


def test_an_all_estates_user_saves_the_parameters(client, everywhere):
    client.force_login(everywhere("system.change_parameters"))
    response = client.post(
        reverse("system:parameters"), parameter_form(**{IDLE.replace(".", "__"): "45"})
    )
    assert response.status_code == 302 and parameters.get(IDLE) == 45


# Maintenance mode ----------------------------------------------------------------------------


def switch_on(client):
    until = (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    return client.post(reverse("system:maintenance"), {"action": "on", "until": until})


def test_a_limited_user_cannot_switch_maintenance_mode(client, limited):
    client.force_login(limited("system.change_maintenance"))
    page = client.get(reverse("system:maintenance"))
    assert read_only(page, 'value="on"')
    assert refused(switch_on(client))
    assert not maintenance_state().is_on


def test_an_all_estates_user_switches_maintenance_mode(client, everywhere):
    client.force_login(everywhere("system.change_maintenance"))
    assert switch_on(client).status_code == 302 and maintenance_state().is_on


# The default approval flows ------------------------------------------------------------------

FLOW_REASON = "Only users whose data scope covers all estates may change the default flow."


@pytest.fixture
def flow_kind(db):
    return approvals.kinds()[0].key


def levels_post(client, url, role):
    data = {"levels-TOTAL_FORMS": 1, "levels-INITIAL_FORMS": 0, "levels-0-role": role.pk}
    return client.post(url, data)


def default_levels(kind):
    flow = ApprovalFlow.objects.filter(kind=kind, estate=None).first()
    return [level.role for level in approvals.flow_levels(flow)]


def test_a_limited_user_sees_the_default_flow_read_only_and_cannot_save_it(
    client, limited, estate, flow_kind
):
    client.force_login(limited("core.change_approvalflow"))
    role = Group.objects.create(name="物业经理")
    default_url = reverse("core:approval_flow", args=[flow_kind])
    listing = client.get(reverse("core:approval_flows")).content.decode()
    assert "Edit the default flow" not in listing
    page = client.get(default_url)
    assert page.status_code == 200 and FLOW_REASON in page.content.decode()
    assert "Save and add another level" not in page.content.decode()
    assert "Add an estate flow" in page.content.decode()  # their own estate's flow, still
    assert refused(levels_post(client, default_url, role), FLOW_REASON)
    assert default_levels(flow_kind) == []
    own = reverse("core:approval_flow_estate", args=[flow_kind, estate.pk])
    assert levels_post(client, own, role).status_code == 302


def test_an_all_estates_user_saves_the_default_flow(client, everywhere, flow_kind):
    client.force_login(everywhere("core.change_approvalflow"))
    role = Group.objects.create(name="物业经理")
    listing = client.get(reverse("core:approval_flows")).content.decode()
    assert "Edit the default flow" in listing
    url = reverse("core:approval_flow", args=[flow_kind])
    assert levels_post(client, url, role).status_code == 302
    assert default_levels(flow_kind) == [role]


# Roles ---------------------------------------------------------------------------------------


@pytest.fixture
def role(db):
    group = Group.objects.create(name="保洁员")
    return Role.objects.create(group=group, description="打扫")


def test_a_limited_user_sees_roles_read_only(client, limited, role):
    client.force_login(limited(*ROLE_PERMS))
    listing = client.get(reverse("accounts:role_list")).content.decode()
    assert reverse("accounts:role_add") not in listing
    detail = client.get(reverse("accounts:role_detail", args=[role.pk]))
    edit_url, delete_url = (
        reverse(f"accounts:role_{a}", args=[role.pk]) for a in ("edit", "delete")
    )
    assert read_only(detail, "Save permissions", edit_url, delete_url)
    assert refused(client.get(reverse("accounts:role_add")))
    assert refused(client.get(edit_url))
    assert refused(client.get(delete_url))


def test_a_limited_user_cannot_create_change_or_delete_roles(client, limited, role):
    client.force_login(limited(*ROLE_PERMS))
    assert refused(client.post(reverse("accounts:role_add"), {"name": "新角色"}))
    edit = client.post(reverse("accounts:role_edit", args=[role.pk]), {"name": "改名"})
    assert refused(edit)
    matrix = reverse("accounts:role_permissions", args=[role.pk])
    assert refused(
        client.post(matrix, {"permissions": [p.pk for p in permissions("estates.view_unit")]})
    )
    assert refused(client.post(reverse("accounts:role_delete", args=[role.pk])))
    role.refresh_from_db()
    assert role.name == "保洁员" and not role.group.permissions.exists()
    assert list(Role.objects.all()) == [role]


def test_an_all_estates_user_creates_changes_and_deletes_roles(client, everywhere, role):
    client.force_login(everywhere(*ROLE_PERMS))
    assert client.post(reverse("accounts:role_add"), {"name": "新角色"}).status_code == 302
    edit = client.post(reverse("accounts:role_edit", args=[role.pk]), {"name": "改名"})
    assert edit.status_code == 302
    wanted = permissions("estates.view_unit")
    matrix = reverse("accounts:role_permissions", args=[role.pk])
    assert client.post(matrix, {"permissions": [p.pk for p in wanted]}).status_code == 302
    role.refresh_from_db()
    assert role.name == "改名" and list(role.group.permissions.all()) == wanted
    assert client.post(reverse("accounts:role_delete", args=[role.pk])).status_code == 302
    assert list(Role.objects.values_list("group__name", flat=True)) == ["新角色"]


# Charge items and new estates: the API says why -----------------------------------------------


def test_the_api_tells_a_limited_user_why_a_charge_item_or_an_estate_is_refused(client, limited):
    headers = bearer(limited("billing.add_chargeitem", "estates.add_estate"))
    item = {"code": "x", "name": "清洁费", "kind": "periodic", "pricing": "fixed"}
    response = client.post("/api/v1/charge-items", item, content_type="application/json", **headers)
    assert refused(response)
    estate = {"name": "新苑", "code": "XY"}
    response = client.post("/api/v1/estates", estate, content_type="application/json", **headers)
    assert refused(response, "Only users whose data scope covers all estates may add estates.")
