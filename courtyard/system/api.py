"""API: message templates — the registered texts, as stored or by default, and their rewording.

``PATCH /message-templates/{key}`` takes ``subject`` and/or ``body``; 400 with code
``unknown_variable``, ``bad_variable``, ``bad_template``, ``required`` or ``max_length`` (and
``errors`` by field) when the text would not render; ``POST .../restore-default`` goes back
to the default text. Keys contain dots (``billing.reminder``).
"""

from datetime import datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from courtyard.core import message_templates
from courtyard.core.api import Pagination, api_access
from courtyard.core.models import MessageTemplate

from . import services

router = Router(tags=["system"])


class VariableOut(Schema):
    name: str
    label: str


class MessageTemplateOut(Schema):
    key: str
    label: str
    group: str
    variables: list[VariableOut]
    subject: str
    body: str
    customised: bool
    default_subject: str
    default_body: str
    updated_at: datetime | None
    updated_by: int | None


class MessageTemplatePatch(Schema):
    subject: str | None = None
    body: str | None = None


def _definition(key):
    try:
        return message_templates.definition(key)
    except KeyError:
        raise Http404 from None


def _out(template, stored):
    subject, body, customised = message_templates.current(template.key)
    return {
        "key": template.key,
        "label": str(template.label),
        "group": str(template.group),
        "variables": [{"name": n, "label": str(label)} for n, label in template.variables.items()],
        "subject": subject,
        "body": body,
        "customised": customised,
        "default_subject": template.default_subject,
        "default_body": template.default_body,
        "updated_at": stored.updated_at if stored else None,
        "updated_by": stored.updated_by_id if stored else None,
    }


def _one(key):
    template = _definition(key)
    return _out(template, MessageTemplate.objects.filter(key=key).first())


@router.get("/message-templates", response=list[MessageTemplateOut])
@api_access("core.view_messagetemplate")
@paginate(Pagination)
def list_message_templates(request):
    stored = MessageTemplate.objects.in_bulk(field_name="key")
    return [_out(t, stored.get(t.key)) for t in message_templates.registered()]


@router.get("/message-templates/{key}", response=MessageTemplateOut)
@api_access("core.view_messagetemplate")
def get_message_template(request, key: str):
    return _one(key)


@router.patch("/message-templates/{key}", response=MessageTemplateOut)
@api_access("core.change_messagetemplate")
def update_message_template(request, key: str, payload: MessageTemplatePatch):
    _definition(key)
    subject, body, _customised = message_templates.current(key)
    changes = payload.dict(exclude_unset=True)
    services.save_message_template(
        request.user,
        key,
        subject=subject if changes.get("subject") is None else changes["subject"],
        body=body if changes.get("body") is None else changes["body"],
    )
    return _one(key)


@router.post("/message-templates/{key}/restore-default", response=MessageTemplateOut)
@api_access("core.change_messagetemplate")
def restore_message_template(request, key: str):
    _definition(key)
    services.restore_message_template(request.user, key)
    return _one(key)
