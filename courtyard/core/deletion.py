"""Deleting a record only while nothing refers to it, whatever module the reference lives in.

Foreign keys to records that must outlive their users are declared ``on_delete=PROTECT``
(or ``RESTRICT``); this module reads those declarations, so a later module's reference (a
resident's unit, a bill's unit) blocks deletion without the earlier module knowing about it.
"""

from django.db import transaction
from django.db.models import PROTECT, RESTRICT, ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from .exceptions import InUse


def references(obj):
    """``{model: count}`` of the records whose protecting foreign keys point at ``obj``."""
    found = {}
    # include_hidden: a reverse relation named "+" protects just the same.
    for related in obj._meta.get_fields(include_hidden=True):
        if not (related.auto_created and not related.concrete and related.is_relation):
            continue
        if related.many_to_many or related.on_delete not in (PROTECT, RESTRICT):
            continue
        model = related.related_model
        count = model._base_manager.filter(**{related.field.name: obj}).count()
        if count:
            found[model] = max(found.get(model, 0), count)
    return found


def in_use_message(obj, found):
    refs = ", ".join(
        f"{model._meta.verbose_name_plural} ({count})" for model, count in found.items()
    )
    return _("“%(name)s” cannot be deleted while other records refer to it: %(refs)s.") % {
        "name": obj,
        "refs": refs,
    }


def delete_unless_in_use(obj):
    """Delete ``obj`` or raise ``InUse`` naming what still refers to it.

    Direct references are counted first (cheap, and a clear message); Django's collector
    then refuses deeper ones, such as a cascade that would reach a protected record.
    """
    found = references(obj)
    if found:
        raise InUse(in_use_message(obj, found))
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as error:
        blocking = getattr(error, "protected_objects", None) or error.restricted_objects
        counts = {}
        for record in blocking:
            counts[type(record)] = counts.get(type(record), 0) + 1
        raise InUse(in_use_message(obj, counts))
