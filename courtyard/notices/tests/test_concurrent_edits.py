"""Two people editing the same draft announcement (DESIGN §3, "Concurrent edits"): the second
save from a stale page or a stale If-Match is refused instead of silently overwriting."""

import pytest
from django.urls import reverse

from courtyard.core.versions import StaleVersion
from courtyard.notices import services
from courtyard.notices.models import Notice
from tests.concurrent_edits import assert_refused_keeping_typed, if_match_round, save_twice

from .conftest import draft
from .test_views import form_data

pytestmark = pytest.mark.django_db


def test_a_stale_draft_form_keeps_what_was_typed(author, estate):
    notice = draft(author, estate)
    url = reverse("notices:notice_edit", args=[notice.pk])
    mine, theirs = form_data(estate, title="停水延期"), form_data(estate, title="停水取消")
    assert_refused_keeping_typed(save_twice(author, url, mine, theirs), "停水取消")
    notice.refresh_from_db()
    assert notice.title == "停水延期"


def test_a_workflow_step_is_not_refused_by_an_edit_meanwhile(author, estate, people):
    notice = draft(author, estate)
    seen_before = Notice.objects.get(pk=notice.pk)
    services.update_notice(author, notice, title="停水延期")
    with pytest.raises(StaleVersion):
        services.update_notice(author, seen_before, title="停水取消")
    services.submit_notice(author, seen_before)
    notice.refresh_from_db()
    assert notice.title == "停水延期" and notice.status != "draft"


def test_the_api_answers_412_to_a_stale_if_match(client, api, author, estate):
    notice = draft(author, estate)
    if_match_round(
        client,
        api(author).headers,
        f"/api/v1/notices/{notice.pk}",
        {"title": "停水延期"},
        {"title": "停水取消"},
    )
    notice.refresh_from_db()
    assert notice.title == "停水延期"
