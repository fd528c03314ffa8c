"""References: the ids a request body or a form names, resolved through the data scope.

Every id a client sends besides the URL's object (a bill's payer and unit, a work order's
unit or assignee, the bills of a payment, a notice's audience …) passes the same gate as an
object named by a URL: a row outside the acting user's data scope answers exactly as a row
that does not exist — 404 in the API, "Select a valid choice" in a form, whose model choices
are narrowed with ``referable`` — so walking ids reveals neither names nor existence.

The gate is the data scope (plus existence), not the view permission of the referenced
model. Naming a record is not reading it: a cashier records a payment for a resident without
holding ``residents.view_resident``, a clerk raises a repair for a unit without
``estates.view_unit``. What the operation may do is decided by its own permission, checked
by the handler and the service; the reference only has to lie where the user works. Models
without a data scope (charge items, repair categories, users) resolve by existence alone;
the caller narrows the queryset it passes when more applies (the technicians who cover a
work order's place, a resident's own homes).

Whether two references of one body agree (the payer lives in the unit, the work order is
the bill's) is a rule of the module's service, not of this gate.
"""

from django.db import models
from django.http import Http404

from .scoping import scope_q, user_scope


def referable(user, source):
    """The rows of ``source`` (a model or a queryset) that ``user`` may name: their scope."""
    if isinstance(source, type) and issubclass(source, models.Model):
        source = source._default_manager.all()
    q = scope_q(source.model, user_scope(user))
    return source if q is None else source.filter(q)


def resolve(user, source, pk):
    """The row ``pk`` names (None for None); 404 when it is missing or outside the scope."""
    if pk is None:
        return None
    found = referable(user, source).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def resolve_many(user, source, pks):
    """The rows ``pks`` name, in their order and each once; 404 when any one is missing or
    outside the scope (the others are not named either)."""
    wanted = list(dict.fromkeys(pks or ()))
    found = referable(user, source).in_bulk(wanted) if wanted else {}
    if len(found) != len(wanted):
        raise Http404
    return [found[pk] for pk in wanted]
