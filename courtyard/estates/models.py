"""The property register: estates → buildings → entrances → units."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from courtyard.core.audit import register
from courtyard.core.models import BaseModel
from courtyard.core.versions import Versioned

from .choices import Occupancy, UnitUse


@register
class Estate(Versioned, BaseModel):
    """A managed property (项目 / 小区): the top of every data scope."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(_("code"), max_length=20, unique=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("service phone"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)

    scope_estate_lookup = "pk"

    class Meta:
        ordering = ["name"]
        verbose_name = _("estate")
        verbose_name_plural = _("estates")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("estates:estate_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, scope):
        # A user scoped to some buildings sees the estates those buildings stand in.
        q = Q(pk__in=scope.estate_ids)
        if scope.building_ids:
            q |= Q(pk__in=Building.objects.filter(pk__in=scope.building_ids).values("estate_id"))
        return q


@register
class Building(Versioned, BaseModel):
    """A building (楼栋) of an estate."""

    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("name"), max_length=50)
    floors = models.PositiveSmallIntegerField(
        _("floors"),
        null=True,
        blank=True,
        help_text=_("Floors above ground; units cannot lie higher. Leave empty if unknown."),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)

    scope_estate_lookup = "estate"
    scope_building_lookup = "pk"

    class Meta:
        ordering = ["estate__name", "name"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "name"], name="building_name_unique_per_estate"
            )
        ]

    def __str__(self):
        return f"{self.estate.name} {self.name}"

    def get_absolute_url(self):
        return reverse("estates:building_detail", args=[self.pk])


@register
class Entrance(BaseModel):
    """A stairwell section (单元) of a building."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="entrances"
    )
    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    name = models.CharField(_("name"), max_length=50)

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["building__name", "name"]
        verbose_name = _("entrance")
        verbose_name_plural = _("entrances")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "name"], name="entrance_name_unique_per_building"
            )
        ]

    def __str__(self):
        return f"{self.estate.name} {self.building.name} {self.name}"

    def get_absolute_url(self):
        return reverse("estates:entrance_detail", args=[self.pk])


@register
class Unit(Versioned, BaseModel):
    """A dwelling or shop (房屋): the thing that is occupied and billed."""

    estate = models.ForeignKey(
        Estate,
        verbose_name=_("estate"),
        on_delete=models.PROTECT,
        related_name="units",
        editable=False,
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="units",
        editable=False,
    )
    entrance = models.ForeignKey(
        Entrance, verbose_name=_("entrance"), on_delete=models.PROTECT, related_name="units"
    )
    room_no = models.CharField(_("room number"), max_length=20)
    floor = models.SmallIntegerField(
        _("floor"), help_text=_("1 is the ground floor; basements are -1, -2 …")
    )
    area = models.DecimalField(_("floor area (m²)"), max_digits=9, decimal_places=2)
    use = models.CharField(
        _("use"), max_length=16, choices=UnitUse.choices, default=UnitUse.RESIDENTIAL
    )
    status = models.CharField(
        _("occupancy"),
        max_length=16,
        choices=Occupancy.choices,
        default=Occupancy.VACANT,
        db_index=True,
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["entrance_id", "room_no"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["entrance", "room_no"], name="room_no_unique_per_entrance"
            )
        ]
        indexes = [
            # The list's order within one estate (the usual scope), without a sort.
            models.Index(fields=["estate", "entrance", "room_no"]),
            models.Index(fields=["room_no"]),
        ]

    def __str__(self):
        return f"{self.estate.name} {self.building.name} {self.entrance.name} {self.room_no}"

    def get_absolute_url(self):
        return reverse("estates:unit_detail", args=[self.pk])
