"""/api/v1/notices/{pk}/attachments and /images: a draft's files and the editor's images as
``multipart/form-data``, each checked by content (400), permission (401 / 403), data scope
(404), state (409) and, for the files, the ETag read (412)."""

import pytest

from courtyard.core.files import attachments_of
from courtyard.core.models import Attachment
from courtyard.core.timeline import events_for
from courtyard.notices import services
from courtyard.notices.choices import AttachmentPurpose as P
from tests.factories import make_user

from .conftest import draft
from .test_notice_files import fake, pdf, png
from .test_views import PDF, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(client, api):
    """``send(user, path, **fields)``: a multipart POST with the user's token."""

    def post(user, path, headers=(), **fields):
        return client.post(f"/api/v1{path}", fields, headers={**api(user).headers, **dict(headers)})

    return post


@pytest.fixture
def remove(client, api):
    def delete(user, path, headers=()):
        return client.delete(f"/api/v1{path}", headers={**api(user).headers, **dict(headers)})

    return delete


@pytest.fixture
def notice(author, estate):
    return draft(author, estate)


@pytest.fixture
def foreign(manager, other_estate):
    return draft(manager, other_estate, title="滨江苑通知")


# Attachments and posters --------------------------------------------------------------------


def test_a_file_is_added_and_listed_with_the_notice(api, send, author, notice):
    response = send(author, f"/notices/{notice.pk}/attachments", upload=pdf())
    assert response.status_code == 201, response.content
    stored = Attachment.objects.get()
    assert response.json() == {
        "id": stored.pk,
        "purpose": "attachment",
        "name": "说明.pdf",
        "mime_type": "application/pdf",
        "size": len(PDF),
        "url": f"/files/{stored.pk}/",
    }
    response = send(author, f"/notices/{notice.pk}/attachments", upload=png(), purpose="poster")
    assert response.status_code == 201 and response.json()["purpose"] == "poster"
    detail = api(author).get(f"/notices/{notice.pk}").json()
    assert [(f["name"], f["purpose"]) for f in detail["attachments"]] == [
        ("说明.pdf", "attachment"),
        ("海报.png", "poster"),
    ]
    assert events_for(notice).filter(verb="files_changed").count() == 2


def test_a_file_is_checked_by_its_content(send, author, notice):
    response = send(author, f"/notices/{notice.pk}/attachments", upload=fake("说明.pdf"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_file_type"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("upload", "bad_file_type")]
    # A poster is an image; a purpose is one of the two; a file is required.
    path = f"/notices/{notice.pk}/attachments"
    assert send(author, path, upload=pdf(), purpose="poster").json()["code"] == "bad_file_type"
    response = send(author, path, upload=pdf(), purpose="image")
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    response = send(author, path, purpose="attachment")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "upload"
    assert not Attachment.objects.exists()


def test_files_need_the_permission_the_scope_and_a_draft(
    client, send, author, manager, notice, foreign, estate, people
):
    viewer = make_user("viewer", "notices.view_notice")
    response = send(viewer, f"/notices/{notice.pk}/attachments", upload=pdf())
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    response = send(author, f"/notices/{foreign.pk}/attachments", upload=pdf())
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    live = published(manager, estate, title="已发布")
    response = send(manager, f"/notices/{live.pk}/attachments", upload=pdf())
    assert response.status_code == 409 and response.json()["code"] == "not_editable"
    response = client.post(f"/api/v1/notices/{notice.pk}/attachments", {"upload": pdf()})
    assert response.status_code == 401
    assert not Attachment.objects.exists()


def test_a_file_change_keeps_to_the_etag_read(api, send, remove, author, notice):
    etag = api(author).get(f"/notices/{notice.pk}")["ETag"]
    services.update_notice(author, notice, title="别人改过")
    path = f"/notices/{notice.pk}/attachments"
    response = send(author, path, headers={"If-Match": etag}, upload=pdf())
    assert response.status_code == 412 and response.json()["code"] == "precondition_failed"
    etag = api(author).get(f"/notices/{notice.pk}")["ETag"]
    response = send(author, path, headers={"If-Match": etag}, upload=pdf())
    assert response.status_code == 201
    # Files do not change the notice's version: the same ETag still holds.
    file_id = response.json()["id"]
    assert remove(author, f"{path}/{file_id}", headers={"If-Match": etag}).status_code == 204


def test_a_file_is_removed(remove, author, notice):
    mine = services.add_file(author, notice, pdf())
    image = services.add_image(author, notice, png("图.png"))
    theirs = services.add_file(author, draft(author, notice.estates.get()), pdf("另.pdf"))
    path = f"/notices/{notice.pk}/attachments"
    # Not one of its attachments or posters: an inline image, another notice's file, none.
    for other in (image.pk, theirs.pk, 999_999):
        response = remove(author, f"{path}/{other}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert remove(author, f"{path}/{mine.pk}").status_code == 204
    assert list(attachments_of(notice).values_list("purpose", flat=True)) == ["image"]
    assert remove(author, f"{path}/{mine.pk}").status_code == 404


def test_removing_needs_the_permission_the_scope_and_a_draft(
    remove, author, manager, notice, foreign, estate, people
):
    mine = services.add_file(author, notice, pdf())
    theirs = services.add_file(manager, foreign, pdf())
    viewer = make_user("viewer", "notices.view_notice")
    assert remove(viewer, f"/notices/{notice.pk}/attachments/{mine.pk}").status_code == 403
    assert remove(author, f"/notices/{foreign.pk}/attachments/{theirs.pk}").status_code == 404
    live = draft(manager, estate, title="将发布")
    poster = services.add_file(manager, live, png(), purpose=P.POSTER)
    services.submit_notice(manager, live)  # no approval levels: published at once
    response = remove(manager, f"/notices/{live.pk}/attachments/{poster.pk}")
    assert response.status_code == 409 and response.json()["code"] == "not_editable"
    assert Attachment.objects.count() == 3


# Images for the content ---------------------------------------------------------------------


def test_an_image_is_stored_for_the_content(client, send, author, notice):
    response = send(author, f"/notices/{notice.pk}/images", image=png("图.png"))
    assert response.status_code == 201, response.content
    stored = Attachment.objects.get()
    assert stored.purpose == "image"
    assert response.json()["url"] == f"/files/{stored.pk}/"
    assert response.json()["purpose"] == "image" and response.json()["name"] == "图.png"
    assert not events_for(notice).filter(verb="files_changed").exists()


def test_an_image_that_is_not_one_is_refused(send, author, notice):
    response = send(author, f"/notices/{notice.pk}/images", image=pdf("图.pdf"))
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("image", "bad_file_type")
    ]
    response = send(author, f"/notices/{notice.pk}/images", image=fake())
    assert response.status_code == 400 and response.json()["code"] == "bad_file_type"
    response = send(author, f"/notices/{notice.pk}/images")
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    assert not Attachment.objects.exists()


def test_images_need_the_permission_the_scope_and_a_draft(
    send, author, manager, notice, foreign, estate, people
):
    viewer = make_user("viewer", "notices.view_notice")
    assert send(viewer, f"/notices/{notice.pk}/images", image=png()).status_code == 403
    assert send(author, f"/notices/{foreign.pk}/images", image=png()).status_code == 404
    live = published(manager, estate, title="已发布")
    response = send(manager, f"/notices/{live.pk}/images", image=png())
    assert response.status_code == 409 and response.json()["code"] == "not_editable"
    assert not Attachment.objects.exists()
