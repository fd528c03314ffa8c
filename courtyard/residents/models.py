"""Residents: people, their occupancies of units, registrations and vehicles."""

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q, Subquery, Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from courtyard.core.audit import register
from courtyard.core.models import BaseModel
from courtyard.core.privacy import mask_phone
from courtyard.core.versions import Versioned

from .choices import (
    OccupancyStatus,
    RegistrationStatus,
    ResidentKind,
    ResidentStatus,
    Role,
    VehicleKind,
)
from .validators import validate_plate


class HasOccupancy(Expression):
    """A condition "the person has an occupancy such that …", in the form the query needs.

    By default a correlated ``EXISTS``: one index probe per person looked at, which is what
    a page in name order (it stops after a page), a search narrowed to a few people and a
    detail page need. A query that must look at every person on the register (the count of
    a list no search has narrowed) asks for ``pk IN (SELECT resident_id …)`` instead by
    setting ``HasOccupancy.AS_SET`` on its ``Query``: the same rows, read as one set (on
    SQLite 250,000 correlated probes take ~380 ms, the set ~50 ms). Never a join: a person
    with two units stays one row.
    """

    AS_SET = "residents_occupancy_as_set"
    output_field = BooleanField()

    def __init__(self, occupancies):
        super().__init__()
        self.exists = Exists(occupancies.filter(resident_id=OuterRef("pk")))
        self.person = F("pk")
        self.members = Subquery(occupancies.order_by().values("resident_id"))

    def get_source_expressions(self):
        return [self.exists, self.person, self.members]

    def set_source_expressions(self, exprs):
        self.exists, self.person, self.members = exprs

    def as_sql(self, compiler, connection):
        if not getattr(compiler.query, self.AS_SET, False):
            return compiler.compile(self.exists)
        try:
            members, members_params = compiler.compile(self.members)
        except EmptyResultSet:  # e.g. an empty scope: nobody
            return compiler.compile(Value(False))
        person, person_params = compiler.compile(self.person)
        return f"{person} IN {members}", (*person_params, *members_params)


class Resident(Versioned, BaseModel):
    """A person known to the estate office: owner, tenant or household member."""

    name = models.CharField(_("name"), max_length=100, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ResidentKind.choices, default=ResidentKind.INDIVIDUAL
    )
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    emergency_contact = models.CharField(_("emergency contact"), max_length=100, blank=True)
    emergency_phone = models.CharField(_("emergency phone"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ResidentStatus.choices,
        default=ResidentStatus.PENDING,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    archive_reason = models.CharField(_("reason for archiving"), max_length=255, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        permissions = [
            ("change_core_resident", _("Can change core resident information")),
            ("view_full_identity", _("Can see full phone and ID numbers")),
            ("invite_resident", _("Can invite residents to the portal")),
        ]
        indexes = [
            # The list: current (or archived) people in name order.
            models.Index(fields=["status", "name", "id"], name="resident_status_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("residents:resident_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, scope):
        # A person is visible when any of their occupancies (any status) lies in the scope.
        return Q(HasOccupancy(Occupancy.objects.filter(Occupancy.scope_q(scope))))

    @property
    def is_archived(self):
        return self.archived_at is not None

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    def save(self, *args, **kwargs):
        self.phone_last4 = self.phone[-4:] if self.phone else ""
        self.id_last4 = self.id_number_masked[-4:] if self.id_number_masked else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = set()
            if "phone" in update_fields:
                extra.add("phone_last4")
            if "id_number_masked" in update_fields:
                extra.add("id_last4")
            kwargs["update_fields"] = set(update_fields) | extra
        super().save(*args, **kwargs)
        if update_fields is None or {"name", "company_name"} & set(update_fields):
            NameGram.rebuild([self])


# The keyed hash means nothing to a reader of the history; the masked number says it all.
register(
    Resident,
    exclude_fields=["updated_at", "version", "id_number_hash", "phone_last4", "id_last4"],
)


GRAM_LENGTH = 4


def name_grams(*texts):
    """Every piece of 1 to 4 characters of the texts (lower case): what a search may type."""
    grams = set()
    for text in texts:
        text = (text or "").strip().lower()
        for size in range(1, GRAM_LENGTH + 1):
            grams.update(text[i : i + size] for i in range(len(text) - size + 1))
    grams.discard("")
    return {g for g in grams if not g.isspace()}


class NameGram(models.Model):
    """A piece of a resident's name, indexed, so a substring search needs no table scan.

    Chinese names are two to four characters, so every piece of up to four characters is
    stored; a longer search narrows by its first four characters, then matches the name.
    """

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    gram = models.CharField(max_length=GRAM_LENGTH)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["gram", "resident"], name="namegram_gram_resident")]

    def __str__(self):
        return self.gram

    @classmethod
    def rebuild(cls, residents):
        """Replace the pieces of ``residents`` (call after saving or bulk-creating them)."""
        residents = list(residents)
        cls.objects.filter(resident__in=[r.pk for r in residents]).delete()
        cls.objects.bulk_create(
            [
                cls(resident_id=r.pk, gram=gram)
                for r in residents
                for gram in name_grams(r.name, r.company_name)
            ],
            batch_size=5000,
        )

    @classmethod
    def matching(cls, text):
        """Resident ids whose name or company name contains ``text`` (with a narrowing)."""
        text = (text or "").strip().lower()
        return cls.objects.filter(gram=text[:GRAM_LENGTH]).values("resident_id")


@register
class Registration(BaseModel):
    """One "new resident" submission for a unit: the owner/tenant plus members and documents,
    taking effect on final approval."""

    unit = models.ForeignKey(
        "estates.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    estate = models.ForeignKey(
        "estates.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "estates.Building", verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("main person"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OWNER)
    move_in = models.DateField(_("move-in date"))
    previous_owner_move_out = models.DateField(
        _("previous owner moves out on"), null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.PENDING,
        db_index=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=255, blank=True)

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self):
        return f"{self.resident} · {self.unit}"

    def get_absolute_url(self):
        return reverse("residents:registration_detail", args=[self.pk])


@register
class Occupancy(BaseModel):
    """A person's link to a unit: owner, tenant or household member, with dates and status."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="occupancies"
    )
    unit = models.ForeignKey(
        "estates.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="occupancies"
    )
    estate = models.ForeignKey(
        "estates.Estate",
        verbose_name=_("estate"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    building = models.ForeignKey(
        "estates.Building",
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    relation = models.CharField(
        _("relation"), max_length=50, blank=True, help_text=_("For members: spouse, child …")
    )
    move_in = models.DateField(_("move-in date"), null=True, blank=True)
    move_out = models.DateField(_("move-out date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OccupancyStatus.choices,
        default=OccupancyStatus.PENDING,
    )
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="occupancies",
    )

    scope_estate_lookup = "estate"
    scope_building_lookup = "building"

    class Meta:
        ordering = ["unit_id", "role", "pk"]
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        indexes = [
            # The people of a unit (a room search, a household): read from the index alone.
            models.Index(
                fields=["unit", "status", "resident"], name="occupancy_unit_status_resident"
            ),
            models.Index(fields=["resident", "status"], name="occupancy_resident_status"),
            models.Index(fields=["estate", "resident"], name="occupancy_estate_resident"),
            models.Index(fields=["building", "resident"], name="occupancy_building_resident"),
        ]

    def __str__(self):
        return f"{self.resident} · {self.unit} ({self.get_role_display()})"

    @classmethod
    def scope_q(cls, scope):
        if scope.all_estates:
            return Q()
        q = Q(estate__in=scope.estate_ids)
        if scope.building_ids:
            q |= Q(building__in=scope.building_ids)
        return q

    @classmethod
    def attachment_visible_to(cls, user, object_id):
        """Documents of an occupancy: whoever may view the person may download them, and
        the resident whose occupancy it is (through the portal)."""
        from courtyard.core.scoping import restrict

        if user.is_resident:
            return cls.objects.filter(pk=object_id, resident__user=user).exists()
        occupancy = cls.objects.filter(pk=object_id).values("resident_id").first()
        if occupancy is None:
            return False
        return (
            restrict(Resident.objects.all(), user, "view")
            .filter(pk=occupancy["resident_id"])
            .exists()
        )

    def get_absolute_url(self):
        return reverse("residents:resident_detail", args=[self.resident_id])


@register
class Vehicle(BaseModel):
    """A vehicle a resident parks at the estate."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="vehicles"
    )
    plate = models.CharField(
        _("licence plate"), max_length=10, validators=[validate_plate], db_index=True
    )
    kind = models.CharField(
        _("type"), max_length=16, choices=VehicleKind.choices, default=VehicleKind.CAR
    )
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["plate"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.UniqueConstraint(fields=["resident", "plate"], name="vehicle_plate_per_resident")
        ]

    def __str__(self):
        return self.plate

    @classmethod
    def scope_q(cls, scope):
        return Q(
            resident_id__in=Occupancy.objects.filter(Occupancy.scope_q(scope)).values("resident_id")
        )

    def get_absolute_url(self):
        return reverse("residents:resident_detail", args=[self.resident_id])
