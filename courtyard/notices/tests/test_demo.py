"""The demo announcements: every state, a must-read pending for the demo resident, readers,
likes and comments, two templates; seeding twice duplicates nothing."""

from collections import Counter

import pytest
from django.core.management import call_command

from courtyard.accounts.models import User
from courtyard.billing.tests.factories import seed_charge_items
from courtyard.core.models import ApprovalFlow, ApprovalRequest, Message
from courtyard.notices import selectors
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import (
    Notice,
    NoticeComment,
    NoticeDelivery,
    NoticeReceipt,
    NoticeTemplate,
)
from courtyard.repairs.models import RepairCategory
from courtyard.repairs.tests.conftest import CATEGORIES

pytestmark = pytest.mark.django_db

MODELS = (Notice, NoticeReceipt, NoticeDelivery, NoticeComment, NoticeTemplate, ApprovalFlow)


@pytest.fixture
def seeded():
    seed_charge_items()  # the migrations' rows the other demos need
    for i, (code, name) in enumerate(CATEGORIES):
        RepairCategory.objects.get_or_create(code=code, defaults={"name": name, "sort_order": i})
    call_command("seed_demo", verbosity=0)


# Seeding takes ~20 s: one test looks at the whole story, another seeds twice.


def test_the_demo_notices_tell_a_story(seeded):
    a_dozen_notices_in_every_state()
    published_notices_reached_their_audience_with_messages()
    the_demo_resident_has_a_must_read_to_confirm()
    comments_with_a_hidden_one_and_a_staff_reply()
    two_templates_with_variables()


def a_dozen_notices_in_every_state():
    notices = Notice.objects.all()
    assert 10 <= notices.count() <= 15
    assert set(Counter(notices.values_list("status", flat=True))) == set(S.values)
    assert set(notices.values_list("estates__code", flat=True)) == {"CHTD", "JGHY"}
    assert notices.filter(status=S.PUBLISHED, pinned=True).exists()
    rejected = notices.get(status=S.REJECTED)
    assert rejected.reject_reason
    assert notices.get(status=S.WITHDRAWN).withdraw_reason
    scheduled = notices.get(status=S.APPROVED)
    assert not scheduled.has_started
    pending = notices.get(status=S.PENDING_REVIEW)
    request = ApprovalRequest.objects.get(object_id=str(pending.pk), status="pending")
    assert request.submitted_by.username == "service"


def published_notices_reached_their_audience_with_messages():
    for notice in Notice.objects.filter(published_at__isnull=False):
        figures = selectors.notice_statistics(notice)
        assert figures.audience > 0
        assert 0 < figures.read < figures.audience
        assert NoticeDelivery.objects.filter(notice=notice).exists()
    assert Message.objects.filter(purpose="notice_published", channel="sms").exists()


def the_demo_resident_has_a_must_read_to_confirm():
    demo = User.objects.get(username="13800000001")
    pending = selectors.must_read_pending(demo).first()
    assert pending is not None and pending.must_read
    figures = selectors.notice_statistics(pending)
    assert figures.audience > 1 and 0 < figures.confirmed < figures.audience
    listed = list(selectors.portal_notices(demo))
    assert len(listed) >= 3
    assert listed[0].pinned and any(n.my_liked_at for n in listed)


def comments_with_a_hidden_one_and_a_staff_reply():
    hidden = NoticeComment.objects.get(is_hidden=True)
    assert hidden.hidden_reason and hidden.hidden_by.username == "admin"
    reply = NoticeComment.objects.get(parent__isnull=False)
    assert reply.resident is None and reply.parent.created_by.username == "13800000001"
    assert NoticeComment.objects.filter(parent__isnull=True, is_hidden=False).count() >= 3


def two_templates_with_variables():
    templates = {t.name: t for t in NoticeTemplate.objects.all()}
    assert set(templates) == {"停水通知", "电梯维保通知"}
    assert "{start_date}" in templates["停水通知"].content
    assert "{date}" in templates["电梯维保通知"].content


def test_seeding_twice_duplicates_nothing(seeded):
    counts = [model.objects.count() for model in MODELS]
    messages = Message.objects.count()
    call_command("seed_demo", verbosity=0)
    assert [model.objects.count() for model in MODELS] == counts
    assert Message.objects.count() == messages
