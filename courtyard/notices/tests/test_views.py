"""The staff pages of announcements: the list, the form, the audience picker, images, the
notice's page and its actions, statistics, comments and templates."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courtyard.core.approvals import services as approvals
from courtyard.core.models import Attachment, Job
from courtyard.notices import services, views
from courtyard.notices.choices import AudienceKind
from courtyard.notices.choices import NoticeStatus as S
from courtyard.notices.models import Notice, NoticeComment, NoticeTemplate
from tests.factories import make_user

from .conftest import AUTHOR_PERMS, MANAGER_PERMS, draft, hours

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url(name, *args):
    return reverse(f"notices:{name}", args=args)


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def form_data(estate, **changes):
    data = {
        "title": "停水通知",
        "category": "outage",
        "content": "<p>明日停水。</p>",
        "effective_from": local(hours(-1)),
        "effective_to": local(hours(48)),
        "audience_kind": AudienceKind.ESTATES,
        "estates": [estate.pk],
        "channels": ["app", "sms"],
    }
    data.update(changes)
    return data


def published(actor, estate, **changes):
    """A notice published at once (no approval levels configured)."""
    notice = draft(actor, estate, **changes)
    services.submit_notice(actor, notice)
    notice.refresh_from_db()
    assert notice.status == S.PUBLISHED
    return notice


@pytest.fixture
def manager_in(estate):
    """A manager whose data scope is the one estate."""
    return make_user("estate_manager", *MANAGER_PERMS, estates=[estate])


@pytest.fixture
def foreign(manager, other_estate, outsider):
    return draft(manager, other_estate, title="滨江苑通知")


# The list -----------------------------------------------------------------------------------


def test_the_list_shows_the_notices_in_scope_with_their_figures(
    client, author, manager, estate, foreign, people
):
    mine = published(author, estate, pinned=True, must_read=True)
    services.mark_read(people["zhang"].user, mine)
    services.like(people["zhang"].user, mine)
    services.add_comment(people["li"].user, mine, "收到")
    client.force_login(author)
    response = client.get(url("notice_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "停水通知" in page and "滨江苑通知" not in page
    assert "Pinned" in page and "Must read" in page
    row = next(r for r in response.context["rows"] if r["object"] == mine)
    assert row["object"].figures == {"audience": 3, "read": 1, "liked": 1, "comments": 1}
    assert "1 / 3" in str(row["cells"][6]["value"])


def test_the_list_tabs_count_each_state_and_filter(client, author, estate, people):
    published(author, estate)
    draft(author, estate, title="草稿一")
    draft(author, estate, title="草稿二")
    client.force_login(author)
    response = client.get(url("notice_list"), {"tab": "draft"})
    counts = {key: count for key, _label, count in response.context["tabs"]}
    assert counts["all"] == 3 and counts["draft"] == 2 and counts["published"] == 1
    titles = {row["object"].title for row in response.context["rows"]}
    assert titles == {"草稿一", "草稿二"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "停电"}, {"停电通知"}),
        ({"category": "event"}, {"社区活动"}),
        ({"must_read": "on"}, {"停电通知"}),
        ({"starts_from": "2030-01-01"}, {"社区活动"}),
        ({"starts_to": "2029-12-31"}, {"停电通知"}),
    ],
)
def test_the_list_filters(client, author, estate, people, params, expected):
    draft(author, estate, title="停电通知", must_read=True)
    draft(
        author,
        estate,
        title="社区活动",
        category="event",
        effective_from=timezone.make_aware(datetime.datetime(2030, 5, 1, 9)),
        effective_to=None,
    )
    client.force_login(author)
    response = client.get(url("notice_list"), params)
    assert {row["object"].title for row in response.context["rows"]} == expected


def test_the_list_filters_by_estate_and_author(
    client, manager, author, estate, other_estate, foreign, people
):
    draft(author, estate, title="翠湖通知")
    client.force_login(manager)
    by_estate = client.get(url("notice_list"), {"estate": other_estate.pk})
    assert {row["object"].title for row in by_estate.context["rows"]} == {"滨江苑通知"}
    by_author = client.get(url("notice_list"), {"author": author.pk})
    assert {row["object"].title for row in by_author.context["rows"]} == {"翠湖通知"}


def test_the_list_costs_the_same_queries_for_any_number_of_rows(
    client, author, estate, people, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    published(author, estate)
    client.force_login(author)
    client.get(url("notice_list"))  # the session and permission caches
    with CaptureQueriesContext(connection) as one:
        client.get(url("notice_list"))
    for index in range(6):
        published(author, estate, title=f"通知{index}")
        draft(author, estate, title=f"草稿{index}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("notice_list"))
    assert len(response.context["rows"]) == 13
    assert len(many) == len(one)
    assert len(many) <= 22  # the shell's own queries (session, scope, badges) included


# The form -----------------------------------------------------------------------------------


def test_a_new_notice_is_saved_as_a_draft_with_its_content_sanitised(client, author, estate):
    client.force_login(author)
    assert client.get(url("notice_add")).status_code == 200
    data = form_data(estate, content='<p onclick="x()">明日停水<script>alert(1)</script></p>')
    response = client.post(url("notice_add"), data)
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == notice.get_absolute_url()
    assert notice.status == S.DRAFT and notice.created_by == author
    assert notice.content == "<p>明日停水</p>"
    assert notice.channels == ["app", "sms"] and notice.category == "outage"
    assert list(notice.estates.all()) == [estate]


def test_form_errors_keep_what_was_typed_sanitised(client, author, estate):
    client.force_login(author)
    data = form_data(
        estate,
        content="<p>保留的文字<img src=x onerror=alert(1)></p>",
        effective_to=local(hours(-2)),
    )
    response = client.post(url("notice_add"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "effective_to" in form.errors
    assert form["title"].value() == "停水通知"
    assert form["content"].value() == "<p>保留的文字<img></p>"
    assert "onerror" not in response.content.decode()
    assert not Notice.objects.exists()


def test_files_are_checked_by_content_and_nothing_is_saved_when_one_is_bad(client, author, estate):
    client.force_login(author)
    fake = SimpleUploadedFile("通知.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url("notice_add"), {**form_data(estate), "attachments": [fake]})
    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert not Notice.objects.exists() and not Attachment.objects.exists()


def test_attachments_and_posters_are_stored_with_the_notice(client, author, estate):
    client.force_login(author)
    data = {
        **form_data(estate),
        "attachments": [SimpleUploadedFile("说明.pdf", PDF, content_type="application/pdf")],
        "posters": [SimpleUploadedFile("海报.png", PNG, content_type="image/png")],
    }
    assert client.post(url("notice_add"), data).status_code == 302
    notice = Notice.objects.get()
    stored = {a.original_name: a.purpose for a in Attachment.objects.all()}
    assert stored == {"说明.pdf": "attachment", "海报.png": "poster"}
    page = client.get(notice.get_absolute_url()).content.decode()
    assert "说明.pdf" in page and "海报.png" in page
    # Removing one while editing.
    poster = Attachment.objects.get(purpose="poster")
    data = {**form_data(estate), "remove_files": [poster.pk]}
    assert client.post(url("notice_edit", notice.pk), data).status_code == 302
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["说明.pdf"]


def test_save_and_submit_submits_the_draft(client, author, estate, people, review):
    client.force_login(author)
    response = client.post(url("notice_add"), {**form_data(estate), "then": ["", "submit"]})
    notice = Notice.objects.get()
    assert response["Location"] == notice.get_absolute_url()
    assert notice.status == S.PENDING_REVIEW


def test_save_and_submit_keeps_the_draft_when_the_audience_is_nobody(client, author, estate):
    client.force_login(author)
    response = client.post(url("notice_add"), {**form_data(estate), "then": ["", "submit"]})
    notice = Notice.objects.get()
    assert response["Location"] == url("notice_edit", notice.pk)
    assert notice.status == S.DRAFT


def test_saving_to_insert_images_continues_on_the_edit_page(client, author, estate):
    client.force_login(author)
    response = client.post(url("notice_add"), {**form_data(estate), "then": "continue"})
    notice = Notice.objects.get()
    assert response["Location"] == url("notice_edit", notice.pk) + "#editor"
    page = client.get(url("notice_edit", notice.pk)).content.decode()
    assert f'data-upload-url="{url("notice_image", notice.pk)}"' in page


def test_a_template_fills_the_new_notice(client, author, estate):
    template = services.create_template(
        make_user("admin", superuser=True),
        name="停水",
        category="outage",
        title="{estate_name}停水通知",
        content="<p>{date}停水，{owner_name}请储水。</p>",
    )
    client.force_login(author)
    session = client.session
    session["estate_id"] = estate.pk
    session.save()
    response = client.get(url("notice_add"), {"template": template.pk})
    form = response.context["form"]
    assert form["title"].value() == "翠湖花园停水通知"
    assert "{owner_name}请储水" in form["content"].value()
    assert form["category"].value() == "outage"
    assert form["estates"].value() == [estate.pk]


def test_editing_a_draft_changes_it(client, author, estate):
    notice = draft(author, estate)
    client.force_login(author)
    form = client.get(url("notice_edit", notice.pk)).context["form"]
    assert form["title"].value() == "停水通知"
    response = client.post(url("notice_edit", notice.pk), form_data(estate, title="停水延期"))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.title == "停水延期"


def test_a_published_notice_cannot_be_edited_until_withdrawn(client, author, estate, people):
    notice = published(author, estate)
    client.force_login(author)
    response = client.get(url("notice_edit", notice.pk))
    assert response.status_code == 302 and response["Location"] == notice.get_absolute_url()
    response = client.post(url("notice_edit", notice.pk), form_data(estate, title="改"))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.title == "停水通知"


def test_the_form_is_refused_without_the_permission_and_outside_the_scope(
    client, estate, author, foreign
):
    notice = draft(author, estate)
    client.force_login(make_user("viewer", "notices.view_notice", estates=[estate]))
    assert client.get(url("notice_add")).status_code == 403
    assert client.get(url("notice_edit", notice.pk)).status_code == 403
    client.force_login(author)
    assert client.get(url("notice_edit", foreign.pk)).status_code == 404


# The audience picker ------------------------------------------------------------------------


def picker(client, **params):
    return client.get(url("audience_picker"), params)


def test_the_picker_counts_the_audience_live(client, author, estate, b1, people):
    client.force_login(author)
    response = picker(client, audience_kind="estates", estates=estate.pk)
    assert response.context["count"] == 3
    response = picker(client, audience_kind="buildings", estates=estate.pk, buildings=b1.pk)
    assert response.context["count"] == 2
    assert [b.name for b, _checked in response.context["building_groups"][0][1]] == ["1栋", "2栋"]


def test_the_picker_warns_when_the_audience_is_nobody(client, author, estate, b1):
    client.force_login(author)
    response = picker(client, audience_kind="buildings", estates=estate.pk, buildings=b1.pk)
    assert response.context["count"] == 0
    assert "would reach no one" in response.content.decode()


def test_the_picker_adds_searches_and_removes_units_and_people(
    client, author, estate, u101, u102, people
):
    client.force_login(author)
    found = picker(client, audience_kind="units", estates=estate.pk, audience_q="10")
    assert {text.split()[-1] for _pk, text, _d in found.context["results"]} == {"101", "102"}
    added = picker(client, audience_kind="units", estates=estate.pk, add=u101.pk)
    assert [pk for pk, _text in added.context["chosen"]] == [u101.pk]
    assert added.context["count"] == 1
    removed = picker(
        client, audience_kind="units", estates=estate.pk, units=u101.pk, remove=u101.pk
    )
    assert removed.context["chosen"] == []
    people_found = picker(client, audience_kind="residents", estates=estate.pk, audience_q="张")
    assert [text for _pk, text, _d in people_found.context["results"]] == ["张伟"]
    assert "139****0001" in people_found.content.decode()


def test_the_picker_lists_a_buildings_units_not_chosen_yet(
    client, author, estate, b1, u101, u102, u201
):
    client.force_login(author)
    response = picker(
        client, audience_kind="units", estates=estate.pk, units=u101.pk, audience_building=b1.pk
    )
    assert [text for _pk, text, _d in response.context["results"]] == ["1栋 1单元 102"]
    assert [b.name for b in response.context["unit_buildings"]] == ["1栋", "2栋"]


def test_the_picker_shows_why_an_audience_is_refused(
    client, estate, other_estate, outsider, people
):
    clerk = make_user("clerk", *AUTHOR_PERMS, estates=[estate])
    client.force_login(clerk)
    response = picker(client, audience_kind="estates", estates=other_estate.pk)
    assert response.context.get("count") is None
    # Out of the clerk's scope: not even offered, so not counted either.
    assert response.context.get("hint") or response.context.get("problems")
    response = picker(client, audience_kind="residents", estates=estate.pk, residents=outsider.pk)
    assert response.context["problems"]


def test_the_picker_needs_a_right_to_write_notices(client, estate):
    client.force_login(make_user("viewer", "notices.view_notice"))
    assert picker(client, estates=estate.pk).status_code == 403


# Inline images ------------------------------------------------------------------------------


def test_an_image_from_the_editor_is_stored_and_answered_with_its_url(client, author, estate):
    notice = draft(author, estate)
    client.force_login(author)
    image = SimpleUploadedFile("图.png", PNG, content_type="image/png")
    response = client.post(url("notice_image", notice.pk), {"image": image})
    assert response.status_code == 201
    stored = Attachment.objects.get()
    assert stored.purpose == "image"
    assert response.json() == {"url": f"/files/{stored.pk}/"}
    assert client.get(response.json()["url"]).status_code == 200
    # The sanitiser keeps the image in the content.
    client.post(
        url("notice_edit", notice.pk),
        form_data(estate, content=f'<p>见图</p><p><img src="/files/{stored.pk}/"></p>'),
    )
    notice.refresh_from_db()
    assert f'<img src="/files/{stored.pk}/">' in notice.content


def test_an_image_that_is_not_one_is_refused(client, author, estate):
    notice = draft(author, estate)
    client.force_login(author)
    fake = SimpleUploadedFile("图.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(url("notice_image", notice.pk), {"image": fake})
    assert response.status_code == 400 and "error" in response.json()
    assert not Attachment.objects.exists()


def test_image_upload_permission_scope_and_state(client, author, estate, foreign, people):
    notice = draft(author, estate)
    image = SimpleUploadedFile("图.png", PNG, content_type="image/png")
    client.force_login(make_user("viewer", "notices.view_notice"))
    assert client.post(url("notice_image", notice.pk), {"image": image}).status_code == 403
    client.force_login(author)
    assert client.post(url("notice_image", foreign.pk), {"image": image}).status_code == 404
    live = published(author, estate, title="已发布")
    image.seek(0)
    assert client.post(url("notice_image", live.pk), {"image": image}).status_code == 409


# A notice's page ----------------------------------------------------------------------------


def test_the_page_shows_the_sanitised_content_audience_and_channels(
    client, author, estate, b1, people
):
    notice = draft(
        author,
        estate,
        content='<h2>通知</h2><p><a href="javascript:alert(1)">点我</a></p>',
        audience_kind=AudienceKind.BUILDINGS,
        buildings=[b1],
    )
    client.force_login(author)
    response = client.get(notice.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2>通知</h2>" in page and "javascript:" not in page
    assert "1栋" in page and "App pop-up" in page and "SMS" in page
    assert response.context["audience_now"] == 2
    assert response.context["actions"] == {
        "edit": True,
        "submit": True,
        "publish": False,
        "withdraw": False,
        "delete": True,
        "decide": False,
    }


def test_a_draft_for_nobody_is_warned_about_on_its_page(client, author, estate):
    notice = draft(author, estate)
    client.force_login(author)
    page = client.get(notice.get_absolute_url()).content.decode()
    assert "would reach no one" in page


def test_the_page_is_refused_without_the_permission_and_outside_the_scope(
    client, estate, foreign, author
):
    notice = draft(author, estate)
    client.force_login(make_user("nobody", "accounts.view_department"))
    assert client.get(notice.get_absolute_url()).status_code == 403
    client.force_login(author)
    assert client.get(foreign.get_absolute_url()).status_code == 404
    assert client.get(url("notice_history", notice.pk)).status_code == 200


def test_statistics_counts_and_the_unread_list(client, manager, estate, people):
    notice = published(manager, estate, must_read=True)
    services.confirm_read(people["zhang"].user, notice)
    services.like(people["zhang"].user, notice)
    services.add_comment(people["li"].user, notice, "收到")
    client.force_login(manager)
    response = client.get(notice.get_absolute_url())
    figures = response.context["statistics"]
    assert (figures.audience, figures.read, figures.confirmed, figures.liked) == (3, 1, 1, 1)
    assert figures.comments == 1
    assert dict(response.context["deliveries"]) == {"App pop-up": 2, "SMS": 3}
    unread = [row["object"].resident.name for row in response.context["unread_rows"]]
    assert unread == ["李娜", "王芳"]
    page = response.content.decode()
    assert "139****0002" in page  # phones masked without the full-identity right
    partial = client.get(url("notice_unread", notice.pk), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "王芳" in partial.content.decode()


def test_statistics_need_their_own_permission(client, author, estate, people):
    notice = published(author, estate)
    client.force_login(author)
    response = client.get(notice.get_absolute_url())
    assert "statistics" not in response.context
    assert client.get(url("notice_unread", notice.pk)).status_code == 403
    assert client.get(url("notice_unread_export", notice.pk)).status_code == 403


def test_the_statistics_cost_the_same_queries_for_any_audience(
    client, manager, estate, b1_entrance, people
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UnitFactory

    from .conftest import reader

    small = published(manager, estate, title="小")
    for number in range(30):
        unit = UnitFactory(entrance=b1_entrance, room_no=f"9{number:02d}")
        reader(unit, f"住户{number}", f"1370000{number:04d}", account=number % 2 == 0)
    large = published(manager, estate, title="大")
    client.force_login(manager)
    client.get(small.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        client.get(small.get_absolute_url())
    with CaptureQueriesContext(connection) as many:
        response = client.get(large.get_absolute_url())
    assert response.context["statistics"].audience == 33
    assert len(many) == len(one)
    assert len(many) <= 36


def test_the_unread_list_exports_to_excel(client, manager, estate, people):
    notice = published(manager, estate)
    services.mark_read(people["zhang"].user, notice)
    client.force_login(manager)
    response = client.get(url("notice_unread_export", notice.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Estate", "Unit", "Name", "Mobile number")
    assert [row[2] for row in rows[1:]] == ["李娜", "王芳"]


def test_a_long_unread_list_is_exported_by_a_job(
    client, manager, estate, people, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(views, "UNREAD_EXPORT_INLINE", 1)
    notice = published(manager, estate)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("notice_unread_export", notice.pk))
    job = Job.objects.get()
    assert response["Location"] == reverse("core:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded", job.result
    assert job.total == 3 and job.output_name.endswith(".xlsx")


# Actions ------------------------------------------------------------------------------------


def test_submit_from_the_page(client, author, estate, people, review):
    notice = draft(author, estate)
    client.force_login(author)
    response = client.post(url("notice_submit", notice.pk))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == S.PENDING_REVIEW
    again = client.post(url("notice_submit", notice.pk))
    assert again.status_code == 409
    assert "already awaiting review" in again.content.decode()


def test_submit_is_refused_without_the_permission_and_outside_the_scope(
    client, estate, author, foreign
):
    notice = draft(author, estate)
    client.force_login(make_user("writer", "notices.view_notice", "notices.add_notice"))
    assert client.post(url("notice_submit", notice.pk)).status_code == 403
    client.force_login(author)
    assert client.post(url("notice_submit", foreign.pk)).status_code == 404


@pytest.fixture
def two_levels(db, estate):
    """A two-level flow for the estate: the service lead, then the estate manager."""
    first, second = Group.objects.create(name="客服主管"), Group.objects.create(name="项目经理")
    lead = make_user("lead", "notices.view_notice", estates=[estate], full_name="张主管")
    boss = make_user("boss", "notices.view_notice", estates=[estate], full_name="李经理")
    lead.groups.add(first)
    boss.groups.add(second)
    admin = make_user("flow_admin", superuser=True)
    approvals.set_flow_levels(admin, services.APPROVAL_KIND, estate, [first, second])
    return lead, boss


def test_two_levels_approve_from_the_notice_page_and_it_is_published(
    client, author, estate, people, two_levels
):
    lead, boss = two_levels
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    client.force_login(author)
    own = client.get(notice.get_absolute_url())
    assert not own.context["actions"]["decide"]
    assert "nobody may decide their own request" in own.content.decode()  # says why
    client.force_login(boss)
    later = client.get(notice.get_absolute_url()).content.decode()
    assert "Level 1 is decided by the role “客服主管”, which you do not hold." in later
    client.force_login(lead)
    page = client.get(notice.get_absolute_url())
    assert page.context["actions"]["decide"]
    assert [level["state"] for level in page.context["levels"]] == ["current", "waiting"]
    response = client.post(url("notice_approve", notice.pk), {"level": 1, "comment": "可以"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == S.PENDING_REVIEW
    # The same click again: the level is decided (409), nothing changes.
    again = client.post(url("notice_approve", notice.pk), {"level": 1, "comment": ""})
    assert again.status_code in (403, 409)
    client.force_login(boss)
    client.post(url("notice_approve", notice.pk), {"level": 2, "comment": ""})
    notice.refresh_from_db()
    assert notice.status == S.PUBLISHED and notice.receipts.count() == 3


def test_rejecting_needs_a_reason_and_returns_it_to_the_author(
    client, author, estate, people, two_levels
):
    lead, _boss = two_levels
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    client.force_login(lead)
    response = client.post(url("notice_reject", notice.pk), {"level": 1, "reason": ""})
    assert response.status_code == 400
    assert response.context["reject_form"].errors
    client.post(url("notice_reject", notice.pk), {"level": 1, "reason": "日期写错了"})
    notice.refresh_from_db()
    assert notice.status == S.REJECTED and notice.reject_reason == "日期写错了"
    client.force_login(author)
    page = client.get(notice.get_absolute_url()).content.decode()
    assert "日期写错了" in page


def test_someone_who_is_not_an_approver_cannot_decide(client, author, estate, people, two_levels):
    notice = draft(author, estate)
    services.submit_notice(author, notice)
    client.force_login(make_user("other", "notices.view_notice", estates=[estate]))
    assert client.post(url("notice_approve", notice.pk), {"level": 1}).status_code == 403
    notice.refresh_from_db()
    assert notice.status == S.PENDING_REVIEW


def test_publish_now_when_its_time_has_come(client, manager, estate, people, review, approver):
    later = draft(manager, estate, title="明天", effective_from=hours(24), effective_to=hours(48))
    now = draft(manager, estate, title="今天")
    for notice in (later, now):
        services.submit_notice(manager, notice)
        approvals.approve(approver, approvals.latest_request(notice))
        notice.refresh_from_db()
    assert later.status == S.APPROVED and now.status == S.PUBLISHED
    client.force_login(manager)
    refused = client.post(url("notice_publish", later.pk))
    assert refused.status_code == 409
    later.refresh_from_db()
    assert later.status == S.APPROVED
    Notice.objects.filter(pk=later.pk).update(effective_from=hours(-1))
    assert client.get(later.get_absolute_url()).context["actions"]["publish"]
    assert client.post(url("notice_publish", later.pk)).status_code == 302
    later.refresh_from_db()
    assert later.status == S.PUBLISHED


def test_withdraw_with_a_reason_then_edit_and_resubmit(client, manager, estate, people):
    notice = published(manager, estate)
    client.force_login(manager)
    assert client.get(url("notice_withdraw", notice.pk)).status_code == 200
    assert client.post(url("notice_withdraw", notice.pk), {"reason": ""}).status_code == 400
    response = client.post(url("notice_withdraw", notice.pk), {"reason": "时间有变"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == S.WITHDRAWN and notice.withdraw_reason == "时间有变"
    assert "时间有变" in client.get(notice.get_absolute_url()).content.decode()
    edited = form_data(estate, title="停水通知（改期）")
    assert client.post(url("notice_edit", notice.pk), edited).status_code == 302
    client.post(url("notice_submit", notice.pk))
    notice.refresh_from_db()
    assert notice.status == S.PUBLISHED and notice.title == "停水通知（改期）"


def test_a_draft_cannot_be_withdrawn(client, manager, estate):
    notice = draft(manager, estate)
    client.force_login(manager)
    assert client.post(url("notice_withdraw", notice.pk), {"reason": "x"}).status_code == 409


def test_withdraw_is_refused_without_the_permission(client, author, estate, people):
    notice = published(author, estate)
    client.force_login(author)
    assert client.post(url("notice_withdraw", notice.pk), {"reason": "x"}).status_code == 403


def test_a_draft_is_deleted_a_published_one_is_not(client, manager, estate, people):
    notice = draft(manager, estate)
    client.force_login(manager)
    assert client.get(url("notice_delete", notice.pk)).status_code == 200
    assert client.post(url("notice_delete", notice.pk))["Location"] == url("notice_list")
    assert not Notice.objects.filter(pk=notice.pk).exists()
    live = published(manager, estate)
    client.post(url("notice_delete", live.pk))
    assert Notice.objects.filter(pk=live.pk).exists()


# Comments -----------------------------------------------------------------------------------


@pytest.fixture
def commented(manager, estate, people):
    notice = published(manager, estate)
    comment = services.add_comment(people["zhang"].user, notice, "垃圾通知<script>x</script>")
    return notice, comment


def test_moderators_hide_a_comment_with_a_reason(client, manager, commented):
    notice, comment = commented
    client.force_login(manager)
    page = client.get(notice.get_absolute_url()).content.decode()
    assert "垃圾通知" in page and "<script>x" not in page
    refused = client.post(url("comment_hide", comment.pk), {"reason": ""})
    assert refused.status_code == 302
    comment.refresh_from_db()
    assert not comment.is_hidden
    client.post(url("comment_hide", comment.pk), {"reason": "辱骂"})
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_reason == "辱骂" and comment.hidden_by == manager
    page = client.get(notice.get_absolute_url()).content.decode()
    assert "Hidden by" in page and "辱骂" in page


def test_moderators_reply_to_a_comment(client, manager, commented):
    notice, comment = commented
    client.force_login(manager)
    response = client.post(url("comment_reply", comment.pk), {"body": "已转物业跟进"})
    assert response["Location"] == f"{notice.get_absolute_url()}#comments"
    reply = NoticeComment.objects.get(parent=comment)
    assert reply.body == "已转物业跟进" and reply.created_by == manager


def test_moderation_needs_the_permission_and_the_scope(client, author, commented, other_estate):
    _notice, comment = commented
    client.force_login(author)
    assert client.post(url("comment_hide", comment.pk), {"reason": "x"}).status_code == 403
    client.force_login(make_user("far", *MANAGER_PERMS, estates=[other_estate]))
    assert client.post(url("comment_reply", comment.pk), {"body": "x"}).status_code == 404


# Templates ----------------------------------------------------------------------------------

TEMPLATE_PERMS = (
    "notices.view_noticetemplate",
    "notices.add_noticetemplate",
    "notices.change_noticetemplate",
    "notices.delete_noticetemplate",
)


def test_templates_are_listed_created_edited_and_deleted(client):
    client.force_login(make_user("editor", *TEMPLATE_PERMS, "notices.add_notice"))
    assert client.get(url("template_list")).status_code == 200
    data = {
        "name": "停水",
        "category": "outage",
        "title": "{estate_name}停水",
        "content": "<p>x</p>",
    }
    assert client.post(url("template_add"), data)["Location"] == url("template_list")
    template = NoticeTemplate.objects.get()
    assert "停水" in client.get(url("template_list")).content.decode()
    response = client.post(url("template_edit", template.pk), {**data, "name": "停水通知"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "停水通知"
    assert client.get(url("template_delete", template.pk)).status_code == 200
    client.post(url("template_delete", template.pk))
    assert not NoticeTemplate.objects.exists()


def test_a_template_with_an_unknown_variable_is_refused_on_the_form(client):
    client.force_login(make_user("editor", *TEMPLATE_PERMS))
    data = {"name": "坏", "category": "notice", "title": "{amount}元", "content": "<p>{foo}</p>"}
    response = client.post(url("template_add"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "title" in errors and "content" in errors
    assert response.context["form"]["name"].value() == "坏"
    assert not NoticeTemplate.objects.exists()


def test_templates_need_their_permissions(client):
    template = NoticeTemplate.objects.create(name="t", title="t", content="<p>t</p>")
    client.force_login(make_user("viewer", "notices.view_noticetemplate"))
    assert client.get(url("template_list")).status_code == 200
    assert client.get(url("template_add")).status_code == 403
    assert client.get(url("template_edit", template.pk)).status_code == 403
    assert client.post(url("template_delete", template.pk)).status_code == 403
    client.force_login(make_user("other", "notices.view_notice"))
    assert client.get(url("template_list")).status_code == 403
    client.force_login(make_user("admin", superuser=True))
    assert client.get(url("template_edit", 999999)).status_code == 404


def test_the_page_shows_the_newest_comments_and_loads_earlier_ones(
    client, manager, estate, people, django_assert_max_num_queries
):
    from courtyard.notices import views

    notice = published(manager, estate)
    NoticeComment.objects.bulk_create(
        NoticeComment(notice=notice, resident=people["li"], body=f"第{i}条")
        for i in range(views.COMMENTS_PER_PAGE + 5)
    )
    newest = NoticeComment.objects.filter(notice=notice).order_by("-id").first()
    services.reply_to_comment(manager, newest, "已收到")
    client.force_login(manager)
    response = client.get(notice.get_absolute_url())
    shown = response.context["comments"]
    assert len(shown) == views.COMMENTS_PER_PAGE and shown[0] == newest
    assert [r.body for r in shown[0].replies.all()] == ["已收到"]
    more = response.context["comments_more_url"]
    assert more.endswith("?page=2")
    client.get(more, HTTP_HX_REQUEST="true")  # the session and permission caches
    # The staff request's own (session, user, scope, permissions), the comments, their replies;
    # 13 leaves room for the session's once-a-minute activity write.
    with django_assert_max_num_queries(13):
        earlier = client.get(more, HTTP_HX_REQUEST="true")
    assert len(earlier.context["comments"]) == 5 and not earlier.context["comments_more_url"]
    assert "第0条" in earlier.content.decode()


def test_the_unread_page_takes_its_count_from_the_statistics(client, manager, estate, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    notice = published(manager, estate)
    client.force_login(manager)
    client.get(notice.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(notice.get_absolute_url())
    assert response.context["unread_page"].paginator.count == 3
    unread_counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT" in q["sql"] and '"notices_noticereceipt"."read_at" IS NULL' in q["sql"]
    ]
    assert unread_counts == []
