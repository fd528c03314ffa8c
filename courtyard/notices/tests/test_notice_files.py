"""A notice's files through the services: attachments and posters changed as one step on the
timeline, inline images from the editor; each checked by content, permission, scope, state and
the version read."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.models import Attachment
from courtyard.core.timeline import events_for
from courtyard.core.versions import StaleVersion
from courtyard.notices import services
from courtyard.notices.choices import AttachmentPurpose as P
from courtyard.notices.choices import AudienceKind
from courtyard.notices.models import Notice
from tests.factories import make_user

from .conftest import draft, hours
from .test_views import PDF, PNG, published

pytestmark = pytest.mark.django_db


def pdf(name="说明.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png(name="海报.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def fake(name="图.png"):
    return SimpleUploadedFile(name, b"<svg onload=alert(1)>", content_type="image/png")


def file_events(notice):
    return list(events_for(notice).filter(verb="files_changed").values_list("message", flat=True))


def stored(notice):
    return dict(attachments_of(notice).values_list("original_name", "purpose"))


def test_files_are_added_and_removed_as_one_change(author, estate):
    notice = draft(author, estate)
    added, removed = services.change_files(
        author, notice, add=[(P.ATTACHMENT, pdf()), (P.POSTER, png())]
    )
    assert [a.purpose for a in added] == ["attachment", "poster"] and removed == 0
    assert stored(notice) == {"说明.pdf": "attachment", "海报.png": "poster"}
    assert added[1].mime_type == "image/png" and added[1].uploaded_by == author
    added, removed = services.change_files(author, notice, remove=[added[1].pk])
    assert added == [] and removed == 1
    assert stored(notice) == {"说明.pdf": "attachment"}
    assert file_events(notice) == [
        "Files changed: 0 added, 1 removed",
        "Files changed: 2 added, 0 removed",
    ]


def test_nothing_to_change_is_no_event(author, estate):
    notice = draft(author, estate)
    assert services.change_files(author, notice) == ([], 0)
    assert file_events(notice) == []


def test_a_file_is_checked_by_content_and_a_bad_one_stores_none(author, estate):
    notice = draft(author, estate)
    with pytest.raises(ValidationError) as caught:
        services.change_files(author, notice, add=[(P.ATTACHMENT, pdf()), (P.POSTER, fake())])
    assert list(caught.value.error_dict) == ["upload"]
    assert caught.value.error_dict["upload"][0].code == "bad_file_type"
    # A poster is an image: a PDF is refused as one.
    with pytest.raises(ValidationError):
        services.add_file(author, notice, pdf(), purpose=P.POSTER)
    assert not Attachment.objects.exists() and file_events(notice) == []


def test_inline_images_are_not_removed_with_the_files(author, estate):
    notice = draft(author, estate)
    image = services.add_image(author, notice, png("图.png"))
    assert services.change_files(author, notice, remove=[image.pk]) == ([], 0)
    with pytest.raises(Http404):
        services.remove_file(author, notice, image.pk)
    assert stored(notice) == {"图.png": "image"}


def test_removing_another_notices_file_is_not_found(author, estate):
    notice, other = draft(author, estate), draft(author, estate, title="另一则")
    theirs = services.add_file(author, other, pdf())
    with pytest.raises(Http404):
        services.remove_file(author, notice, theirs.pk)
    services.remove_file(author, other, theirs.pk)
    assert not Attachment.objects.exists()


def test_files_change_only_while_the_notice_is_editable(manager, estate, people):
    notice = published(manager, estate)
    for call in (
        lambda: services.add_file(manager, notice, pdf()),
        lambda: services.add_image(manager, notice, png()),
    ):
        with pytest.raises(StateConflict) as caught:
            call()
        assert caught.value.code == "not_editable"
    assert not Attachment.objects.exists()


def test_a_stale_copy_changes_no_files(author, estate):
    notice = draft(author, estate)
    stale = Notice.objects.get(pk=notice.pk)
    services.update_notice(author, notice, title="新标题")
    with pytest.raises(StaleVersion):
        services.add_file(author, stale, pdf())
    # The editor's images are not held to the version read.
    services.add_image(author, stale, png())
    assert list(attachments_of(notice).values_list("purpose", flat=True)) == ["image"]


def test_permission_and_data_scope(author, manager, estate, other_estate):
    notice = draft(author, estate)
    viewer = make_user("viewer", "notices.view_notice")
    for call in (services.add_file, services.add_image):
        with pytest.raises(PermissionDenied):
            call(viewer, notice, png())
    elsewhere = draft(manager, other_estate, title="滨江苑通知")
    with pytest.raises(Http404):
        services.add_file(author, elsewhere, pdf())
    # Seen through its estate in scope, but it reaches beyond: not the author's to change.
    wide = draft(manager, estate, estates=[estate, other_estate], title="全体通知")
    with pytest.raises(PermissionDenied):
        services.add_image(author, wide, png())
    assert not Attachment.objects.exists()


def test_an_image_must_be_one(author, estate):
    notice = draft(author, estate)
    with pytest.raises(ValidationError) as caught:
        services.add_image(author, notice, pdf("图.pdf"))
    assert caught.value.error_dict["image"][0].code == "bad_file_type"
    with pytest.raises(ValidationError) as caught:
        services.add_image(author, notice, None)
    assert caught.value.error_dict["image"][0].code == "required"
    image = services.add_image(author, notice, png())
    assert image.purpose == P.IMAGE and file_events(notice) == []


def test_a_new_draft_takes_its_files_with_the_right_to_add(estate):
    adder = make_user("adder", "notices.view_notice", "notices.add_notice", estates=[estate])
    notice = services.save_draft(
        adder,
        add_files=[(P.ATTACHMENT, pdf())],
        title="停水通知",
        content="<p>明日停水。</p>",
        effective_from=hours(-1),
        audience_kind=AudienceKind.ESTATES,
        estates=[estate],
    )
    assert stored(notice) == {"说明.pdf": "attachment"}
    assert file_events(notice) == ["Files changed: 1 added, 0 removed"]
    # Changing them later takes the right to change.
    with pytest.raises(PermissionDenied):
        services.save_draft(adder, notice, add_files=[(P.POSTER, png())], title="改")


def test_a_bad_file_saves_no_draft(author, estate):
    with pytest.raises(ValidationError):
        services.save_draft(
            author,
            add_files=[(P.ATTACHMENT, fake("说明.pdf"))],
            title="停水通知",
            effective_from=hours(-1),
            estates=[estate],
        )
    assert not Notice.objects.exists() and not Attachment.objects.exists()


def test_the_draft_and_its_files_change_together(author, estate):
    notice = draft(author, estate)
    kept = services.add_file(author, notice, pdf("旧.pdf"))
    with pytest.raises(ValidationError):
        services.save_draft(
            author, notice, add_files=[(P.POSTER, fake())], remove_files=[kept.pk], title="改"
        )
    notice.refresh_from_db()
    assert notice.title == "停水通知" and stored(notice) == {"旧.pdf": "attachment"}
    saved = services.save_draft(
        author, notice, add_files=[(P.POSTER, png())], remove_files=[kept.pk], title="改"
    )
    assert saved.title == "改" and stored(notice) == {"海报.png": "poster"}
