"""Each service's permission and data scope: without the permission 403, a notice the user
cannot see 404, a notice reaching beyond their scope 403 for changes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from courtyard.notices import selectors, services
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import Notice
from tests.factories import make_user

from .conftest import AUTHOR_PERMS, MANAGER_PERMS, draft

pytestmark = pytest.mark.django_db

# service → (permission it needs, the state it acts from, how to call it)
ACTIONS = {
    "update": ("change_notice", S.DRAFT, lambda u, n: services.update_notice(u, n, title="改")),
    "delete": ("delete_notice", S.DRAFT, services.delete_notice),
    "submit": ("submit_notice", S.DRAFT, services.submit_notice),
    "publish": ("publish_notice", S.APPROVED, services.publish_notice),
    "withdraw": ("withdraw_notice", S.PUBLISHED, services.withdraw_notice),
}
ALL_PERMS = tuple(f"notices.{codename}" for codename, _s, _c in ACTIONS.values())


def in_state(notice, status):
    Notice.objects.filter(pk=notice.pk).update(status=status, approved_at=timezone.now())
    notice.refresh_from_db()
    return notice


@pytest.fixture
def two_estate_notice(manager, estate, other_estate, people):
    return draft(manager, estate, estates=[estate, other_estate])


@pytest.mark.parametrize("name", ACTIONS)
def test_each_action_needs_its_permission(name, manager, estate, people):
    codename, status, call = ACTIONS[name]
    notice = in_state(draft(manager, estate), status)
    others = [p for p in ("notices.view_notice", *ALL_PERMS) if p != f"notices.{codename}"]
    with pytest.raises(PermissionDenied):
        call(make_user("lacking", *others), notice)
    notice.refresh_from_db()
    assert notice.status == status and notice.title == "停水通知"


@pytest.mark.parametrize("name", ACTIONS)
def test_each_action_with_its_permission_succeeds(name, manager, estate, people):
    codename, status, call = ACTIONS[name]
    notice = in_state(draft(manager, estate), status)
    call(make_user("holder", "notices.view_notice", f"notices.{codename}"), notice)


@pytest.mark.parametrize("name", ACTIONS)
def test_a_notice_of_another_estate_is_404(name, manager, estate, other_estate, people):
    _codename, status, call = ACTIONS[name]
    notice = in_state(draft(manager, other_estate), status)
    scoped = make_user("scoped", "notices.view_notice", *ALL_PERMS, estates=[estate])
    with pytest.raises(Http404):
        call(scoped, notice)


@pytest.mark.parametrize("name", ACTIONS)
def test_changing_a_notice_that_reaches_beyond_the_scope_is_403(name, two_estate_notice, estate):
    _codename, status, call = ACTIONS[name]
    notice = in_state(two_estate_notice, status)
    scoped = make_user("scoped", "notices.view_notice", *ALL_PERMS, estates=[estate])
    assert selectors.visible_notices(scoped).filter(pk=notice.pk).exists()  # seen, not changed
    with pytest.raises(PermissionDenied):
        call(scoped, notice)


def test_creating_needs_the_add_permission(estate):
    lacking = make_user("lacking", *[p for p in AUTHOR_PERMS if p != "notices.add_notice"])
    with pytest.raises(PermissionDenied):
        draft(lacking, estate)
    assert not Notice.objects.exists()


def test_residents_cannot_use_staff_services(zhang, estate, manager):
    notice = draft(manager, estate)
    with pytest.raises(PermissionDenied):
        draft(zhang.user, estate)
    with pytest.raises(PermissionDenied):
        services.update_notice(zhang.user, notice, title="x")


def test_comment_moderation_needs_its_permission(manager, estate, zhang, people):
    notice = draft(manager, estate)
    services.submit_notice(manager, notice)
    comment = services.add_comment(zhang.user, notice, "好")
    lacking = make_user("lacking", *[p for p in MANAGER_PERMS if "moderate" not in p])
    with pytest.raises(PermissionDenied):
        services.hide_comment(lacking, comment, "x")
    with pytest.raises(PermissionDenied):
        services.reply_to_comment(lacking, comment, "x")


def test_comment_moderation_outside_the_scope_is_404(manager, other_estate, outsider, estate):
    notice = draft(manager, other_estate)
    services.submit_notice(manager, notice)
    comment = services.add_comment(outsider.user, notice, "好")
    scoped = make_user("scoped", *MANAGER_PERMS, estates=[estate])
    with pytest.raises(Http404):
        services.hide_comment(scoped, comment, "x")


# What staff see ------------------------------------------------------------------------------


def test_staff_see_notices_with_one_of_their_estates(
    manager, author, estate, other_estate, b1, people
):
    mine = draft(manager, estate)
    shared = draft(manager, estate, estates=[estate, other_estate])
    foreign = draft(manager, other_estate)
    assert set(selectors.visible_notices(author)) == {mine, shared}
    assert set(selectors.visible_notices(manager)) == {mine, shared, foreign}
    keeper = make_user("keeper", "notices.view_notice", buildings=[b1])
    assert set(selectors.visible_notices(keeper)) == {mine, shared}
    assert not selectors.visible_notices(make_user("nobody", estates=[estate])).exists()


def test_the_staff_list_needs_no_distinct(manager, estate, other_estate, people):
    draft(manager, estate, estates=[estate, other_estate])
    scoped = make_user("scoped", "notices.view_notice", estates=[estate, other_estate])
    query = str(selectors.visible_notices(scoped).query)
    assert "DISTINCT" not in query
    assert selectors.visible_notices(scoped).count() == 1
