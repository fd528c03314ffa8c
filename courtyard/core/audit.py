"""Who changed what, from where: the source (web, API, import, task) of every audited change."""

from contextlib import contextmanager
from contextvars import ContextVar

from auditlog.context import auditlog_value, set_actor
from auditlog.registry import auditlog
from django.utils.translation import gettext_lazy as _

SOURCES = {
    "web": _("Web"),
    "api": _("API"),
    "import": _("Import"),
    "task": _("Task"),
    "system": _("System"),
}

_source = ContextVar("courtyard_change_source", default="system")


def current_source():
    return _source.get()


@contextmanager
def change_source(source, actor=None):
    """Mark changes made inside the block as coming from ``source`` (and ``actor``)."""
    token = _source.set(source)
    try:
        if actor is not None:
            with set_actor(actor):
                yield
        else:
            yield
    finally:
        _source.reset(token)


def set_request_source(source):
    return _source.set(source)


def reset_request_source(token):
    _source.reset(token)


def attach_actor(user):
    """Record ``user`` as the actor of the current request's changes (API token sign-in)."""
    context = auditlog_value.get(None)
    if context is not None:
        context["actor"] = user


class AuditedMixin:
    """Adds the change source to every auditlog entry of the model."""

    def get_additional_data(self):
        return {"source": current_source()}


def register(model, **options):
    """Register a domain model with the audit trail; used as a class decorator."""
    options.setdefault("exclude_fields", ["updated_at", "version"])
    auditlog.register(model, **options)
    return model
