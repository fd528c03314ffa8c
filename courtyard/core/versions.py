"""Versions of the records people edit (DESIGN §3, "Concurrent edits").

A model with ``Versioned`` carries ``version``, raised by one at every save. Whoever edits
says which version they read — a form's hidden ``version`` field (``ScopedModelForm`` adds it,
``ObjectEditView`` applies it), an API client's ``If-Match`` (``expect_version``; detail
answers carry the ``ETag``) — and the save updates the row only while it still has that
version; otherwise ``StaleVersion`` is raised and nothing is written. Two people saving the
same record both "succeeded" and the second silently won.
"""

import re

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .exceptions import StateConflict


class StaleVersion(StateConflict):
    """The record was changed by someone else since it was read (HTTP 409, or 412 when the
    client's If-Match named the old version)."""

    code = "changed_meanwhile"

    def __init__(self):
        super().__init__(
            _(
                "Someone else changed this record meanwhile. Your input is kept: check the "
                "record and save again."
            )
        )


class Versioned(models.Model):
    """A record people edit: every save raises its version and refuses a stale copy."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding:
            return super().save(*args, **kwargs)
        self._read_version = self.version
        self.version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = [*kwargs["update_fields"], "version"]
        try:
            return super().save(*args, **kwargs)
        except BaseException:
            self.version = self._read_version
            raise
        finally:
            del self._read_version

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        read = getattr(self, "_read_version", None)
        if read is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        if super()._do_update(
            base_qs.filter(version=read), using, pk_val, values, update_fields, forced_update
        ):
            return True
        if base_qs.filter(pk=pk_val).exists():
            raise StaleVersion()
        return False


def save_as_stored(obj, fields):
    """Save ``fields`` of ``obj`` over the stored row whatever version ``obj`` was read at: for
    a consequence (a state, a stamp, a new password), not a person's edit of what they read,
    which a stale copy must not refuse. Only ``fields`` are written (the row locked meanwhile);
    ``obj`` takes the new version."""
    if is_versioned(obj):
        with transaction.atomic():
            stored = obj._meta.model._base_manager.select_for_update().filter(pk=obj.pk)
            obj.version = stored.values_list(FIELD, flat=True).get()
            obj.save(update_fields=fields)
    else:
        obj.save(update_fields=fields)
    return obj


def is_versioned(obj_or_model):
    return isinstance(obj_or_model, Versioned) or (
        isinstance(obj_or_model, type) and issubclass(obj_or_model, Versioned)
    )


# The API: ETag on a detail, If-Match on a change ----------------------------------------------

_TAG = re.compile(r'^\s*(?:W/)?"(\d{1,9})"\s*$')


def etag(obj):
    return f'"{obj.version}"'


def set_etag(response, obj):
    """Send the record's version as its ETag (a client echoes it in If-Match)."""
    if is_versioned(obj):
        response["ETag"] = etag(obj)
    return obj


def expect_version(request, obj):
    """Apply the client's ``If-Match`` to ``obj`` before it is changed: 412
    ``precondition_failed`` when it names another version than the stored one (or is not a
    version), and the save refuses the change if the record changes before it is written.
    Without the header (or with ``*``) the change applies to whatever version is stored."""
    from .api import ApiError

    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*" or not is_versioned(obj):
        return obj
    match = _TAG.match(header)
    if match is None or int(match[1]) != obj.version:
        raise ApiError(412, StaleVersion().message, "precondition_failed")
    obj.version = int(match[1])
    return obj


# Forms: the version read travels in a hidden field ---------------------------------------------

FIELD = "version"


def add_version_field(form, obj):
    """The form of an existing versioned record carries the version it was read at."""
    from django import forms

    if obj is not None and is_versioned(obj):
        form.fields[FIELD] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, min_value=1, initial=obj.version
        )
    return form


def apply_form_version(obj, data):
    """Take the form's version out of its cleaned ``data`` and set it on ``obj``."""
    read = data.pop(FIELD, None)
    if obj is not None and read:
        obj.version = read
    return data


def keep_typed_after_stale(form, obj, error):
    """A stale save: the form says so and keeps what was typed; it now carries the stored
    version, so saving again is a deliberate choice to overwrite."""
    form.add_error(None, error.message)
    form.data = form.data.copy()
    stored = type(obj)._base_manager.filter(pk=obj.pk).values_list(FIELD, flat=True).first()
    form.data[form.add_prefix(FIELD)] = str(stored or "")
