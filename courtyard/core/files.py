"""Uploads checked by content (not by name), size-limited, stored outside the web root."""

import os

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Attachment
from .scoping import restrict

# Signature bytes of the kinds Courtyard accepts, and the MIME type each is served as.
SIGNATURES = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "xlsx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
DOCUMENT_KINDS = ("pdf", "jpeg", "png")
IMAGE_KINDS = ("jpeg", "png")
EXTENSIONS = {"pdf": {".pdf"}, "jpeg": {".jpg", ".jpeg"}, "png": {".png"}, "xlsx": {".xlsx"}}


def sniff(uploaded):
    """The kind of an uploaded file from its first bytes, or None."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for kind, (magic, _mime) in SIGNATURES.items():
        if head.startswith(magic):
            return kind
    return None


def validate_upload(uploaded, kinds=DOCUMENT_KINDS, max_bytes=None):
    """Return the file's kind, or raise ValidationError when it is not what it claims to be."""
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    if uploaded.size > max_bytes:
        raise ValidationError(
            _("The file is too large (at most %(size)s MB)."),
            code="file_too_large",
            params={"size": max_bytes // (1024 * 1024)},
        )
    kind = sniff(uploaded)
    ext = os.path.splitext(uploaded.name)[1].lower()
    if kind not in kinds or ext not in EXTENSIONS[kind]:
        allowed = ", ".join(k.upper() for k in kinds)
        raise ValidationError(
            _("“%(name)s” is not a valid file of an accepted type (%(allowed)s)."),
            code="bad_file_type",
            params={"name": uploaded.name, "allowed": allowed},
        )
    return kind


def attach(owner, uploaded, user, purpose="", kinds=DOCUMENT_KINDS):
    """Validate and store ``uploaded`` as an attachment of ``owner`` (call inside a transaction)."""
    kind = validate_upload(uploaded, kinds)
    return Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(owner),
        object_id=str(owner.pk),
        purpose=purpose,
        file=uploaded,
        original_name=os.path.basename(uploaded.name)[:255],
        mime_type=SIGNATURES[kind][1],
        size=uploaded.size,
        uploaded_by=user,
    )


def attachments_of(owner):
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(owner), object_id=str(owner.pk)
    )


def can_view_attachment(user, attachment):
    """A user may download an attachment when they may view the record it belongs to."""
    model = attachment.content_type.model_class()
    custom = getattr(model, "attachment_visible_to", None)
    if custom is not None:
        return custom(user, attachment.object_id)
    if user.is_resident:  # residents see only what a model's own rule lets them
        return False
    return (
        restrict(model._default_manager.all(), user, "view")
        .filter(pk=attachment.object_id)
        .exists()
    )
