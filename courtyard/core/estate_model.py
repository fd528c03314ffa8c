"""The estate model named in settings (``COURTYARD_ESTATE_MODEL``), so core can list estates
for the top bar without importing the estates module (which depends on core)."""

from django.apps import apps
from django.conf import settings

from .scoping import restrict


def estate_model():
    return apps.get_model(settings.COURTYARD_ESTATE_MODEL)


def estates_for(user):
    return restrict(estate_model().objects.all(), user, "view").order_by("name")
