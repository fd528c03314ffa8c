import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import escape

from courtyard.core import parameters
from courtyard.core.models import ParameterValue
from courtyard.system import services
from courtyard.system.forms import ParametersForm
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/system/parameters/"


def form_data(**overrides):
    """The page's form as the browser would post it, with the current values."""
    data = {}
    for param in parameters.registered():
        name = param.key.replace(".", "__")
        value = parameters.get(param.key)
        if param.kind == parameters.BOOL:
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    data.update(overrides)
    return data


def test_page_needs_the_permission(client):
    client.force_login(make_user("clerk"))
    assert client.get(URL).status_code == 403


def test_page_lists_every_parameter_by_group_with_typed_inputs(client):
    client.force_login(make_user("admin", "system.change_parameters"))
    page = client.get(URL).content.decode()
    assert reverse("system:parameters") == URL
    for param in parameters.registered():
        assert escape(str(param.label)) in page
        assert escape(str(param.group)) in page
    assert 'type="number"' in page and 'type="checkbox"' in page
    assert "Signed-in users who do nothing for this long are signed out." in page


def test_saving_stores_and_audits_who_changed_what(client):
    admin = make_user("admin", "system.change_parameters")
    client.force_login(admin)
    response = client.post(URL, form_data(security__idle_timeout_minutes="45"))
    assert response.status_code == 302
    assert parameters.get("security.idle_timeout_minutes") == 45
    entry = LogEntry.objects.get_for_model(ParameterValue).get()
    assert entry.actor == admin
    assert entry.object_repr == "security.idle_timeout_minutes"
    assert entry.changes["value"][1] == "45"
    assert entry.additional_data["source"] == "web"
    # Unchanged values are not rewritten, so they leave no audit entries.
    assert ParameterValue.objects.count() == 1


def test_invalid_values_show_per_field_errors_keep_input_and_save_nothing(client):
    client.force_login(make_user("admin", "system.change_parameters"))
    response = client.post(
        URL,
        form_data(
            security__idle_timeout_minutes="0",
            security__code_ttl_minutes="abc",
            security__require_two_factor="on",
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is at least 1." in page
    assert "Enter a whole number." in page
    assert 'value="abc"' in page and 'value="0"' in page
    assert ParameterValue.objects.count() == 0
    assert parameters.get("security.require_two_factor") is False


def test_unchecked_box_turns_a_flag_off():
    parameters.set_value("security.require_two_factor", True)
    data = form_data()
    data.pop("security__require_two_factor")
    form = ParametersForm(data)
    assert form.is_valid()
    services.save_parameters(None, form.raw_values())
    assert parameters.get("security.require_two_factor") is False


def test_service_requires_the_permission_and_collects_every_error():
    with pytest.raises(PermissionDenied):
        services.save_parameters(make_user("clerk"), {"security.idle_timeout_minutes": "5"})
    with pytest.raises(ValidationError) as error:
        services.save_parameters(
            None,
            {"security.idle_timeout_minutes": "5", "security.code_ttl_minutes": "999"},
        )
    assert set(error.value.message_dict) == {"security.code_ttl_minutes"}
    assert parameters.get("security.idle_timeout_minutes") == 30
