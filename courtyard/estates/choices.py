from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    SHOP = "shop", _("Shop")
    OFFICE = "office", _("Office")
    PARKING = "parking", _("Parking")


class Occupancy(models.TextChoices):
    VACANT = "vacant", _("Vacant")
    OCCUPIED = "occupied", _("Occupied")
    RENTED = "rented", _("Rented")
    DECORATING = "decorating", _("Decorating")


# Units that count as lived in for the occupancy rate (decorating units are not yet).
LIVED_IN = (Occupancy.OCCUPIED, Occupancy.RENTED)
