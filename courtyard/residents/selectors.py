"""Reads of the residents register, always through the scope gate, without a query per row."""

from django.db.models import Count, Prefetch, Q, Window

from courtyard.core.approvals import services as approvals
from courtyard.core.files import attachments_of
from courtyard.core.models import ScopedQuerySet
from courtyard.core.privacy import FULL_IDENTITY
from courtyard.core.scoping import restrict

from .choices import DocumentPurpose, OccupancyStatus, RegistrationStatus, ResidentStatus
from .models import HasOccupancy, Occupancy, Registration, Resident


def may_see_identity(user):
    return user.has_perm(FULL_IDENTITY)


def sees_own_phones(user, resident):
    """A resident sees their own numbers in full (the portal)."""
    return resident.user_id is not None and resident.user_id == user.pk


def _occupancies(statuses, to_attr):
    """The units of a list's people (page, export, API): what those show, nothing more."""
    return Prefetch(
        "occupancies",
        queryset=Occupancy.objects.filter(status__in=statuses)
        .select_related("unit", "unit__entrance", "estate", "building")
        .only(
            *("resident", "unit", "estate", "building", "role", "relation", "status"),
            *("move_in", "move_out", "unit__room_no", "unit__entrance__name"),
            *("estate__name", "building__name"),
        )
        .order_by("-role", "unit_id"),
        to_attr=to_attr,
    )


NARROWED = "residents_narrowed"


class ResidentList(ScopedQuerySet):
    """The people of a list (page, API, export), counted without a probe per person.

    Conditions on a person's units (the scope, the top bar's estate, the estate, building,
    role and occupied filters) are ``HasOccupancy`` expressions: correlated EXISTS, the right
    form for reading a page in name order. Counting a list of most of the register that way
    would run those probes for every person (SQLite: 250,000 people, ~380 ms), so ``count``
    asks for the sets instead (~50 ms). A list known to hold few people (``narrowed``: a
    search found them, or the archived) keeps EXISTS, driven by those few: a set would cost
    the whole scope.
    """

    def count(self):
        if self._result_cache is not None or getattr(self.query, NARROWED, False):
            return super().count()
        counted = self._chain()
        setattr(counted.query, HasOccupancy.AS_SET, True)
        return super(ResidentList, counted).count()


def with_occupants(units):
    """Units each with ``occupants``: how many people live there now (a registration clerk sees
    which rooms are taken before choosing one), counted in the same query."""
    current = Q(occupancies__status=OccupancyStatus.CURRENT)
    return units.annotate(occupants=Count("occupancies__resident", filter=current, distinct=True))


def narrowed(queryset):
    """Mark a list as holding few people, to be counted person by person (see ResidentList)."""
    queryset = queryset.all()
    setattr(queryset.query, NARROWED, True)
    return queryset


def is_narrowed(queryset):
    return getattr(queryset.query, NARROWED, False)


TOTAL = "residents_list_total"


def counted_slice(queryset, offset, limit):
    """One page of a narrowed list and the list's length, from one query: ``(rows, count)``.

    ``COUNT(*) OVER ()`` counts the people found in the same pass that sorts them for the
    page, instead of finding them a second time for a separate COUNT (a room number's
    1,000 people on PostgreSQL: ~10 ms each time). Only for narrowed lists: on the whole
    register it would read every person where the page stops after 25. ``count`` is None
    when no row comes back (nobody found, or a page past the end): ask ``count()`` then.
    """
    rows = list(queryset.annotate(**{TOTAL: Window(Count("pk"))})[offset : offset + limit])
    return rows, (getattr(rows[0], TOTAL) if rows else None)


def _list(user, status):
    return restrict(ResidentList(Resident), user, "view").filter(status=status)


def visible_residents(user, action="view"):
    """Every person the user may see (any status): the detail pages and the API's detail."""
    return restrict(Resident.objects.all(), user, action)


def current_residents(user):
    """住户列表: people on the register, each with their current units (one extra query)."""
    return _list(user, ResidentStatus.CURRENT).prefetch_related(
        _occupancies([OccupancyStatus.CURRENT], "current_occupancies")
    )


def history_residents(user):
    """历史住户: archived people, with the units they lived in (few next to the register)."""
    return narrowed(_list(user, ResidentStatus.ARCHIVED)).prefetch_related(
        _occupancies([OccupancyStatus.ENDED], "current_occupancies")
    )


def visible_registrations(user, action="view"):
    return restrict(
        Registration.objects.select_related(
            "resident", "unit", "unit__entrance", "estate", "building", "submitted_by"
        ),
        user,
        action,
    )


def pending_registrations(user):
    return visible_registrations(user).filter(
        status__in=(RegistrationStatus.PENDING, RegistrationStatus.REJECTED)
    )


def occupancies_of(resident):
    """A person's occupancies (every status but rejected), with their units and documents."""
    occupancies = list(
        resident.occupancies.exclude(status=OccupancyStatus.REJECTED)
        .select_related("unit", "unit__entrance", "estate", "building", "registration")
        .order_by("status", "-move_in", "pk")
    )
    documents = {}
    from django.contrib.contenttypes.models import ContentType

    from courtyard.core.models import Attachment

    if occupancies:
        content_type = ContentType.objects.get_for_model(Occupancy)
        for attachment in Attachment.objects.filter(
            content_type=content_type, object_id__in=[str(o.pk) for o in occupancies]
        ):
            documents.setdefault(attachment.object_id, []).append(attachment)
    labels = dict(DocumentPurpose.choices)
    for occupancy in occupancies:
        occupancy.documents = documents.get(str(occupancy.pk), [])
        for document in occupancy.documents:
            document.purpose_label = labels.get(document.purpose, document.purpose)
    return occupancies


def households_of(user, occupancies):
    """{unit id: [the other people living there]} for the person's units, in one query."""
    units = [o.unit_id for o in occupancies if o.status == OccupancyStatus.CURRENT]
    if not units:
        return {}
    result = {}
    others = (
        Occupancy.objects.filter(unit_id__in=units, status=OccupancyStatus.CURRENT)
        .select_related("resident")
        .order_by("-role", "resident__name")
    )
    for occupancy in others:
        result.setdefault(occupancy.unit_id, []).append(occupancy)
    return result


def confirmations_of(resident):
    return attachments_of(resident).filter(purpose="confirmation")


def registration_documents(registration):
    main = registration.occupancies.filter(role__in=("owner", "tenant")).first()
    return list(attachments_of(main)) if main else []


def latest_request(subject):
    return approvals.latest_request(subject)
