import pytest
from django.urls import reverse

from courtyard.core.choices import MessageChannel, MessageStatus
from courtyard.core.models import Message, TimelineEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/system/messages/"


def message(**fields):
    defaults = {
        "channel": MessageChannel.SMS,
        "recipient": "13812345678",
        "body": "您的账单已生成",
        "purpose": "bill",
    }
    return Message.objects.create(**{**defaults, **fields})


def test_list_needs_the_view_permission(client):
    client.force_login(make_user("clerk"))
    assert client.get(URL).status_code == 403


def test_phones_are_masked_unless_the_viewer_may_see_identities_in_full(client):
    message()
    client.force_login(make_user("manager", "core.view_message", "core.change_message"))
    page = client.get(URL).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    client.force_login(make_user("full", "core.view_message", "residents.view_full_identity"))
    assert "13812345678" in client.get(URL).content.decode()


def test_list_shows_status_attempts_and_reference_without_a_query_per_row(
    client, django_assert_max_num_queries
):
    recipient = make_user("owner")
    for n in range(30):
        message(recipient_user=recipient, provider_ref=f"ref-{n}", attempts=2)
    message(status=MessageStatus.FAILED, last_error="gateway down")
    client.force_login(make_user("viewer", "core.view_message"))
    with django_assert_max_num_queries(17):
        page = client.get(URL).content.decode()
    assert "ref-29" in page and "Failed" in page and "Owner" in page


def test_filters_by_channel_status_purpose_and_date(client):
    message(channel=MessageChannel.EMAIL, recipient="wang@example.com", purpose="password_reset")
    message(status=MessageStatus.FAILED, recipient="13900000001")
    client.force_login(make_user("full", "core.view_message", "residents.view_full_identity"))

    def listed(**params):
        return client.get(URL, params).content.decode()

    assert "wang@example.com" in listed(channel="email")
    assert "13900000001" not in listed(channel="email")
    assert "13900000001" in listed(status="failed")
    assert "wang@example.com" not in listed(status="failed")
    assert "wang@example.com" in listed(purpose="password_reset")
    assert "13900000001" not in listed(purpose="password_reset")
    assert "wang@example.com" not in listed(date_from="2999-01-01")


def test_purposes_show_in_the_users_language_with_a_filter_of_them(client):
    message(purpose="repair_sla_breaches", recipient="13900000002")
    message(purpose="password_reset", recipient="13900000003")
    message(purpose="something_unregistered", recipient="13900000004")
    client.force_login(make_user("full", "core.view_message", "residents.view_full_identity"))
    page = client.get(URL).content.decode()
    assert "Repair deadlines missed" in page and "Password reset code" in page
    assert "something_unregistered" in page  # shown as stored
    assert "repair_sla_breaches" not in page.split("<tbody>")[1]
    chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<option" in chinese and 'value="repair_sla_breaches"' in chinese
    filtered = client.get(URL, {"purpose": "repair_sla_breaches"}).content.decode()
    assert "13900000002" in filtered and "13900000003" not in filtered


def test_every_purpose_a_module_sends_has_a_label():
    from courtyard.core import messaging

    sent = {
        "approval_awaiting",
        "approval_decided",
        "sign_in_code",
        "password_reset",
        "portal_invitation",
        "portal_sign_in",
        "billing.bill_published",
        "billing.reminder",
        "payment_received",
        "deposit_refunded",
        "notice_published",
        "notice_rejected",
        "repair_accepted",
        "repair_dispatched",
        "repair_completed",
        "repair_cancelled",
        "repair_reopened",
        "repair_dispatched_to_you",
        "repair_sla_breaches",
    }
    assert {key for key in sent if messaging.purpose_label(key) == key} == set()


def test_detail_shows_text_and_last_error(client):
    failed = message(status=MessageStatus.FAILED, last_error="THROTTLED: slow down")
    client.force_login(make_user("viewer", "core.view_message"))
    page = client.get(reverse("system:message_detail", args=[failed.pk])).content.decode()
    assert "您的账单已生成" in page and "THROTTLED: slow down" in page
    assert "Send again" not in page  # retrying needs core.change_message
    assert client.get(reverse("system:message_detail", args=[999999])).status_code == 404


def test_retry_requeues_a_failed_message_and_delivers_it(
    client, django_capture_on_commit_callbacks
):
    failed = message(status=MessageStatus.FAILED, attempts=5, last_error="UNAVAILABLE")
    manager = make_user("manager", "core.view_message", "core.change_message")
    client.force_login(manager)
    assert (
        "Send again"
        in client.get(reverse("system:message_detail", args=[failed.pk])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("system:message_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == MessageStatus.SENT and failed.attempts == 1 and failed.provider_ref
    event = TimelineEvent.objects.get(verb="retried")
    assert event.actor == manager and event.data["last_error"] == "UNAVAILABLE"


def test_retry_needs_the_change_permission_and_a_failed_message(client):
    sent = message(status=MessageStatus.SENT)
    failed = message(status=MessageStatus.FAILED)
    client.force_login(make_user("viewer", "core.view_message"))
    assert client.post(reverse("system:message_retry", args=[failed.pk])).status_code == 403
    client.force_login(make_user("manager", "core.view_message", "core.change_message"))
    response = client.post(reverse("system:message_retry", args=[sent.pk]), follow=True)
    assert "Only a failed message can be sent again." in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
