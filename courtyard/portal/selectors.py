"""What a signed-in resident may read about themselves: their units, household, documents,
office contacts and app messages. Everything is keyed on the resident's own account."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType

from courtyard.core.models import Attachment, Message
from courtyard.core.privacy import shown_phone
from courtyard.residents.choices import OccupancyStatus
from courtyard.residents.models import Occupancy, Resident


@dataclass
class Home:
    """One unit I live in, with my occupancy, my housemates and my documents for it."""

    occupancy: Occupancy
    household: list = field(default_factory=list)
    documents: list = field(default_factory=list)

    @property
    def unit(self):
        return self.occupancy.unit

    @property
    def estate(self):
        return self.occupancy.estate


def resident_of(user):
    """The person record behind a portal account (None when staff has not linked one)."""
    return Resident.objects.filter(user=user, archived_at__isnull=True).first()


def my_homes(user):
    """My current units, each with the other current occupants and my documents; four
    queries whatever the number of units."""
    occupancies = list(
        Occupancy.objects.filter(
            resident__user=user,
            resident__archived_at__isnull=True,
            status=OccupancyStatus.CURRENT,
        ).select_related("unit__entrance", "building", "estate")
    )
    homes = {o.unit_id: Home(o) for o in occupancies}
    if not homes:
        return []
    others = (
        Occupancy.objects.filter(unit_id__in=homes, status=OccupancyStatus.CURRENT)
        .exclude(resident__user=user)
        .select_related("resident")
        .order_by("unit_id", "role", "resident__name")
    )
    for other in others:
        other.shown_phone = shown_phone(user, other.resident.phone, other.resident)
        homes[other.unit_id].household.append(other)
    by_occupancy = {str(o.pk): homes[o.unit_id] for o in occupancies}
    documents = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(Occupancy),
        object_id__in=list(by_occupancy),
    ).order_by("uploaded_at")
    for document in documents:
        by_occupancy[document.object_id].documents.append(document)
    return list(homes.values())


def my_home(user, unit_id):
    return next((home for home in my_homes(user) if home.unit.pk == unit_id), None)


def office_contacts(homes):
    """The estates of my units with their service phones, each once."""
    seen = {}
    for home in homes:
        seen.setdefault(home.estate.pk, home.estate)
    return list(seen.values())


def my_messages(user):
    return Message.objects.filter(recipient_user=user, channel="app")


def unread_count(user):
    return my_messages(user).filter(read_at__isnull=True).count()


def my_estate(user):
    """The estate shown in the top bar: that of my first current unit."""
    occupancy = (
        Occupancy.objects.filter(resident__user=user, status=OccupancyStatus.CURRENT)
        .select_related("estate")
        .order_by("pk")
        .first()
    )
    return occupancy.estate if occupancy else None
