import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courtyard.core.files import attach, attachments_of, can_view_attachment, validate_upload
from tests.factories import EstateFactory, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    "name,content,kind",
    [("deed.pdf", PDF, "pdf"), ("photo.PNG", PNG, "png"), ("photo.jpeg", JPEG, "jpeg")],
)
def test_files_are_accepted_by_their_content(name, content, kind):
    assert validate_upload(upload(name, content)) == kind


def test_a_png_renamed_pdf_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("lease.pdf", PNG, "application/pdf"))
    assert error.value.code == "bad_file_type"
    assert "lease.pdf" in error.value.messages[0]


@pytest.mark.parametrize(
    "name,content",
    [
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("deed.exe", PDF),
    ],
)
def test_content_or_name_of_another_kind_is_refused(name, content):
    with pytest.raises(ValidationError):
        validate_upload(upload(name, content))


def test_a_kind_outside_the_accepted_ones_is_refused():
    with pytest.raises(ValidationError):
        validate_upload(upload("deed.pdf", PDF), kinds=("jpeg", "png"))


def test_size_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    big = upload("big.pdf", PDF + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError) as error:
        validate_upload(big)
    assert error.value.code == "file_too_large" and "1 MB" in error.value.messages[0]
    assert validate_upload(big, max_bytes=2 * 1024 * 1024) == "pdf"


def test_attach_stores_the_file_with_its_sniffed_type():
    estate = EstateFactory()
    user = make_user("clerk")
    attachment = attach(estate, upload("../../etc/deed.pdf", PDF), user, purpose="deed")
    assert attachment.mime_type == "application/pdf" and attachment.size == len(PDF)
    assert attachment.original_name == "deed.pdf"
    assert list(attachments_of(estate)) == [attachment]
    assert attachments_of(EstateFactory()).count() == 0


@pytest.fixture
def estate_file():
    estate = EstateFactory()
    return estate, attach(estate, upload("site-plan.png", PNG), None)


def test_attachment_is_downloadable_by_who_may_view_its_owner(client, estate_file):
    estate, attachment = estate_file
    viewer = make_user("viewer", "estates.view_estate", estates=[estate])
    assert can_view_attachment(viewer, attachment)
    client.force_login(viewer)
    response = client.get(reverse("core:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize("case", ["no_permission", "other_estate"])
def test_attachment_is_not_found_for_others(client, estate_file, case):
    estate, attachment = estate_file
    if case == "no_permission":
        user = make_user("outsider", estates=[estate])
    else:
        user = make_user("elsewhere", "estates.view_estate", estates=[EstateFactory()])
    assert not can_view_attachment(user, attachment)
    client.force_login(user)
    assert client.get(reverse("core:attachment", args=[attachment.pk])).status_code == 404


def test_attachment_needs_sign_in(client, estate_file):
    _estate, attachment = estate_file
    response = client.get(reverse("core:attachment", args=[attachment.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_pdf_downloads_as_a_file_unless_asked_inline(client):
    estate = EstateFactory()
    attachment = attach(estate, upload("deed.pdf", PDF), None)
    client.force_login(make_user("boss", superuser=True))
    url = reverse("core:attachment", args=[attachment.pk])
    assert client.get(url)["Content-Disposition"].startswith("attachment")
    assert client.get(url + "?inline=1")["Content-Disposition"].startswith("inline")
