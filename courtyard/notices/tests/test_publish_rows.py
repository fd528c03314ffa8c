"""The rows a publishing writes straight through the driver (the bulk loader: multi-row INSERT
on SQLite, COPY on PostgreSQL): each delivery points at its own person's message, whatever the
page and statement sizes; the per-channel figures recorded with each publishing add up."""

import pytest
from django.utils import timezone

from courtyard.core import bulk
from courtyard.core.timeline import events_for
from courtyard.notices import selectors, services
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import Notice, NoticeDelivery, NoticeReceipt

from .conftest import draft

pytestmark = pytest.mark.django_db


def approved(actor, estate, **changes):
    notice = draft(actor, estate, **changes)
    Notice.objects.filter(pk=notice.pk).update(status=S.APPROVED, approved_at=timezone.now())
    notice.refresh_from_db()
    return notice


def republish(actor, notice, resend=False):
    services.withdraw_notice(actor, notice)
    Notice.objects.filter(pk=notice.pk).update(status=S.APPROVED)
    notice.refresh_from_db()
    return services.publish_notice(actor, notice, resend=resend)


def test_each_delivery_points_at_its_own_persons_message(manager, estate, people, monkeypatch):
    monkeypatch.setattr(services, "PUBLISH_BATCH", 2)
    monkeypatch.setattr(bulk, "variable_limit", lambda: 33)  # 3 messages per statement
    notice = approved(manager, estate, channels=["app", "sms", "wechat"])
    result = services.publish_notice(manager, notice)
    assert result.messages == 8  # 张伟 and 李娜 on three channels, 王芳 (no account) on two
    rows = NoticeDelivery.objects.filter(notice=notice).select_related("resident", "message")
    assert rows.count() == 8
    for delivery in rows:
        message, person = delivery.message, delivery.resident
        assert message.channel == delivery.channel
        assert message.body.startswith(person.name)  # "{owner_name}您好，…"
        if delivery.channel == "app":
            assert message.recipient_user_id == person.user_id
            assert message.recipient == person.user.username
        else:
            assert message.recipient == person.phone
        assert message.status == "queued" and message.purpose == services.PURPOSE_PUBLISHED
        assert delivery.round == 1 and delivery.created_at is not None
    receipts = NoticeReceipt.objects.filter(notice=notice)
    assert sorted(receipts.values_list("resident__name", flat=True)) == ["张伟", "李娜", "王芳"]


def test_republishing_writes_no_second_receipt(manager, estate, people):
    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    services.mark_read(people["zhang"].user, notice)
    republish(manager, notice, resend=True)
    receipts = NoticeReceipt.objects.filter(notice=notice)
    assert receipts.count() == 3
    assert receipts.get(resident=people["zhang"]).read_at is not None


def test_delivery_counts_add_up_over_publishings(manager, estate, people):
    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    republish(manager, notice)  # nobody new: nothing sent
    republish(manager, notice, resend=True)
    assert selectors.delivery_counts(notice) == {"app": 4, "sms": 6}
    assert selectors._counted_deliveries(notice) == {"app": 4, "sms": 6}


def test_a_publishing_recorded_without_figures_is_counted(manager, estate, people):
    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    event = events_for(notice).get(verb="published")
    event.data.pop("channels")
    event.save(update_fields=["data"])
    assert selectors.delivery_counts(notice) == {"app": 2, "sms": 3}
