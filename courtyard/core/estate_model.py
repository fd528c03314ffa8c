"""The estate model named in settings (``COURTYARD_ESTATE_MODEL``), so core can list estates
for the top bar without importing the estates module (which depends on core)."""

from django.apps import apps
from django.conf import settings

from .references import referable


def estate_model():
    return apps.get_model(settings.COURTYARD_ESTATE_MODEL)


def estates_for(user):
    """The estates in the user's data scope, for the top bar's estate filter.

    Only the scope applies, not ``view_estate``: a clerk who may see units but not edit the
    estate register still narrows their lists to one estate.
    """
    return referable(user, estate_model()).order_by("name")


def default_estate(user, session):
    """The estate a form preselects: the top bar's filter, else the user's only estate (None
    when they have several and chose none)."""
    estates = estates_for(user)
    chosen = session.get("estate_id")
    if chosen and estates.filter(pk=chosen).exists():
        return chosen
    only = list(estates.values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None
