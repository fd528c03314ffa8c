"""Publishing: receipts for the audience, one message per person per channel, rendered from
the notices.published text, in bulk, delivered after commit; republishing and resending."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courtyard.core import message_templates
from courtyard.core.choices import MessageStatus
from courtyard.core.models import Message
from courtyard.notices import services
from courtyard.notices.choices import AudienceKind as K
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import Notice, NoticeDelivery, NoticeReceipt
from courtyard.portal.selectors import my_messages
from courtyard.residents.models import Occupancy
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory

from .conftest import draft, hours

pytestmark = pytest.mark.django_db


def approved(actor, estate, **changes):
    notice = draft(actor, estate, **changes)
    Notice.objects.filter(pk=notice.pk).update(status=S.APPROVED, approved_at=timezone.now())
    notice.refresh_from_db()
    return notice


def deliveries(notice):
    return sorted(
        NoticeDelivery.objects.filter(notice=notice).values_list("resident__name", "channel")
    )


def test_publishing_creates_a_receipt_per_audience_member(manager, estate, people):
    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    receipts = NoticeReceipt.objects.filter(notice=notice).select_related("resident", "unit")
    assert {(r.resident.name, r.unit.room_no) for r in receipts} == {
        ("张伟", "101"),
        ("李娜", "102"),
        ("王芳", "201"),
    }
    assert all(r.read_at is None for r in receipts)


def test_one_message_per_person_per_channel_where_they_can_be_reached(manager, estate, people):
    notice = approved(manager, estate, channels=["app", "sms", "wechat"])
    result = services.publish_notice(manager, notice)
    # 王芳 has no portal account: no app message, but SMS and WeChat to her phone.
    assert deliveries(notice) == [
        ("张伟", "app"),
        ("张伟", "sms"),
        ("张伟", "wechat"),
        ("李娜", "app"),
        ("李娜", "sms"),
        ("李娜", "wechat"),
        ("王芳", "sms"),
        ("王芳", "wechat"),
    ]
    assert result.messages == 8 == Message.objects.filter(purpose="notice_published").count()
    sms = Message.objects.get(channel="sms", recipient="13900000003")
    assert sms.subject == "翠湖花园公告：停水通知"
    assert sms.body.startswith("王芳您好，翠湖花园发布了公告《停水通知》")
    delivery = NoticeDelivery.objects.get(notice=notice, resident=people["wang"], channel="sms")
    assert delivery.message == sms and delivery.round == 1


def test_people_without_a_phone_get_no_sms_but_a_receipt(manager, estate, u101):
    member = resident_in(u101, name="张小伟", phone="", role="member")
    notice = approved(manager, estate, channels=["sms"])
    services.publish_notice(manager, notice)
    assert NoticeReceipt.objects.filter(notice=notice, resident=member).exists()
    assert not NoticeDelivery.objects.filter(resident=member).exists()


def test_app_messages_appear_in_the_portal_inbox(manager, estate, zhang):
    notice = approved(manager, estate, channels=["app"])
    services.publish_notice(manager, notice)
    message = my_messages(zhang.user).get()
    assert message.recipient == zhang.user.username
    assert "停水通知" in message.subject


def test_messages_use_the_administrators_wording(manager, estate, zhang):
    message_templates.save(
        "notices.published",
        subject="【{estate_name}】{title}",
        body="{room_no} {owner_name}：{date}",
    )
    notice = approved(manager, estate, channels=["sms"])
    services.publish_notice(manager, notice)
    message = Message.objects.get(purpose="notice_published")
    assert message.subject == "【翠湖花园】停水通知"
    date = f"{timezone.localtime(notice.effective_from):%Y-%m-%d}"
    assert message.body == f"1栋1单元101 张伟：{date}"


def test_the_title_is_personalised_in_the_message(manager, estate, zhang):
    notice = approved(manager, estate, title="{owner_name}，请查收", channels=["sms"])
    services.publish_notice(manager, notice)
    assert Message.objects.get().subject == "翠湖花园公告：张伟，请查收"


def test_messages_are_delivered_after_commit_in_batches(
    manager, estate, people, django_capture_on_commit_callbacks
):
    notice = approved(manager, estate)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.publish_notice(manager, notice)
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 5
    assert len(callbacks) == 1  # one task for the batch, not one per message
    callbacks[0]()
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 5


def test_publishing_issues_no_query_per_resident(manager, estate, b1, people):
    for n in range(80):
        resident_in(
            UnitFactory(building=b1, estate=estate), name=f"住户{n}", phone=f"1370000{n:04d}"
        )
    notice = approved(manager, estate)
    with CaptureQueriesContext(connection) as queries:
        result = services.publish_notice(manager, notice)
    assert result.audience == 83 and result.messages == 85
    # Bulk inserts (SQLite splits them into batches of a few hundred values), no per-row query.
    assert len(queries) < 20


def test_publishing_in_several_pages_reaches_everyone_once(
    manager, estate, b1, u201, people, monkeypatch
):
    monkeypatch.setattr(services, "PUBLISH_BATCH", 2)
    # 李娜 also lives in 201: two homes, one receipt, one message per channel.
    Occupancy.objects.create(
        resident=people["li"],
        unit=u201,
        estate=estate,
        building=u201.building,
        role="tenant",
        status="current",
    )
    resident_in(UnitFactory(building=b1, estate=estate), name="钱多", phone="13900000031")
    notice = approved(manager, estate, channels=["sms"])
    result = services.publish_notice(manager, notice)
    assert result.audience == 4 == NoticeReceipt.objects.filter(notice=notice).count()
    assert NoticeDelivery.objects.filter(notice=notice).count() == 4


# Once per person per channel ----------------------------------------------------------------


def republish(actor, notice, **changes):
    """Withdraw, edit, and publish again (as after approval)."""
    services.withdraw_notice(actor, notice)
    if changes:
        services.update_notice(actor, notice, **changes)
    Notice.objects.filter(pk=notice.pk).update(status=S.APPROVED)
    notice.refresh_from_db()
    return services.publish_notice(actor, notice)


def test_republishing_after_an_edit_sends_nothing_again(manager, estate, people):
    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    before = Message.objects.count()
    result = republish(manager, notice, content="<p>改为后天。</p>")
    assert result.messages == 0
    assert Message.objects.count() == before
    assert NoticeDelivery.objects.filter(notice=notice).count() == 5


def test_republishing_reaches_new_audience_members_and_new_channels(manager, estate, u102, people):
    notice = approved(manager, estate, channels=["app"])
    services.publish_notice(manager, notice)
    resident_in(u102, name="孙新", phone="13900000040")  # no portal account: SMS only
    result = republish(manager, notice, channels=["app", "sms"])
    assert result.messages == 4  # SMS to the three, and to the newcomer
    assert deliveries(notice).count(("孙新", "sms")) == 1
    assert deliveries(notice).count(("张伟", "app")) == 1


def test_resend_pushes_again_to_everybody_as_a_new_round(manager, estate, people):
    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    services.withdraw_notice(manager, notice)
    Notice.objects.filter(pk=notice.pk).update(status=S.APPROVED)
    result = services.publish_notice(manager, notice, resend=True)
    assert result.messages == 5
    rounds = sorted(NoticeDelivery.objects.filter(notice=notice).values_list("round", flat=True))
    assert rounds == [1] * 5 + [2] * 5


def test_the_authors_resend_wish_applies_once(manager, estate, people):
    notice = approved(manager, estate, channels=["sms"])
    services.publish_notice(manager, notice)
    services.withdraw_notice(manager, notice)
    services.update_notice(manager, notice, resend_on_publish=True)
    Notice.objects.filter(pk=notice.pk).update(status=S.APPROVED)
    notice.refresh_from_db()
    assert services.publish_notice(manager, notice).messages == 3
    notice.refresh_from_db()
    assert notice.resend_on_publish is False


def test_republishing_keeps_reads_and_drops_people_no_longer_in_the_audience(
    manager, estate, b1, people
):
    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    services.mark_read(people["zhang"].user, notice)
    republish(manager, notice, audience_kind=K.BUILDINGS, buildings=[b1])
    receipts = NoticeReceipt.objects.filter(notice=notice)
    assert set(receipts.values_list("resident__name", flat=True)) == {"张伟", "李娜"}
    assert receipts.get(resident=people["zhang"]).read_at is not None


def test_publishing_an_audience_of_nobody_publishes_without_messages(manager, estate, people):
    notice = approved(manager, estate)
    Occupancy.objects.update(status="ended")
    result = services.publish_notice(manager, notice)
    assert (result.audience, result.messages) == (0, 0)
    assert notice.status == S.PUBLISHED


def test_the_publish_event_records_the_figures(manager, estate, people):
    from courtyard.core.timeline import events_for

    notice = approved(manager, estate)
    services.publish_notice(manager, notice)
    event = events_for(notice).get(verb="published")
    assert event.actor == manager
    assert event.data == {
        "audience": 3,
        "messages": 5,
        "channels": {"app": 2, "sms": 3},
        "round": 1,
        "resend": False,
    }


def test_effective_from_in_the_message_is_the_local_date(manager, estate, zhang):
    notice = approved(manager, estate, effective_from=hours(-1), channels=["sms"])
    services.publish_notice(manager, notice)
    assert f"{timezone.localtime(notice.effective_from):%Y-%m-%d}" in Message.objects.get().body
