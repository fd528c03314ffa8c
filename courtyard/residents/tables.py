"""Tables of the residents lists; their columns are also the columns of the Excel exports.

Phones and ID numbers show masked unless the viewer holds ``residents.view_full_identity``:
the table marks every row with the viewer's right before a column reads it.
"""

from django.core.paginator import Page, Paginator
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courtyard.core.privacy import mask_phone
from courtyard.core.tables import Column, Table

from .choices import ResidentKind, Role
from .selectors import counted_slice, is_narrowed


def shown_phone(resident):
    return (
        resident.phone if getattr(resident, "full_identity", False) else mask_phone(resident.phone)
    )


def shown_id(resident):
    """The stored form (first 6, last 4) in full view; otherwise only the last 4."""
    masked = resident.id_number_masked
    if not masked or getattr(resident, "full_identity", False):
        return masked
    return "*" * (len(masked) - 4) + masked[-4:]


class DetailUrls:
    """The URL of a detail page for any id, from one ``reverse()`` (~40 µs each: a page of
    25 people with their units asked for 50)."""

    MARK = 2147483647  # digits, as the <int:pk> converter wants

    def __init__(self, url_name):
        self.prefix, self.suffix = reverse(url_name, args=[self.MARK]).split(str(self.MARK))

    def __call__(self, pk):
        return f"{self.prefix}{pk}{self.suffix}"


class IdentityTable(Table):
    """Marks each row with whether the viewer may see phones and ID numbers in full."""

    def __init__(self, queryset, request=None, per_page=None, full_identity=None):
        super().__init__(queryset, request, per_page)
        if full_identity is None:
            user = getattr(request, "user", None)
            full_identity = bool(user and user.has_perm("residents.view_full_identity"))
        self.full_identity = full_identity

    def page(self):
        """A narrowed list (a search, the history) reads its page and count in one query."""
        if not is_narrowed(self.queryset):
            return super().page()
        paginator = Paginator(self.queryset, self.per_page)
        requested = self.request.GET.get("page", 1) if self.request else 1
        try:
            number = int(requested)
        except (TypeError, ValueError):
            number = 1
        if number >= 1:
            rows, count = counted_slice(self.queryset, (number - 1) * self.per_page, self.per_page)
            if count is not None:
                paginator.count = count
                return Page(rows, number, paginator)
        return paginator.get_page(requested)  # nobody found, or past the end: the usual way

    def mark(self, objects):
        for obj in objects:
            obj.full_identity = self.full_identity
            yield obj

    def rows(self, objects):
        return super().rows(self.mark(objects))

    def export_rows(self, queryset=None):
        columns = [c for c in self.columns.values() if c.export]
        source = queryset if queryset is not None else self.queryset
        # Chunks keep the prefetch of the units (iterator() alone would drop it).
        for obj in self.mark(source.iterator(chunk_size=2000)):
            yield [column.export_value(obj) for column in columns]


ROLE_BADGES = {Role.OWNER: "bg-green-lt", Role.TENANT: "bg-azure-lt"}
ROLE_LABELS = dict(Role.choices)


class UnitsColumn(Column):
    """The person's units with a role badge; in exports "1号楼 1单元 101 (Owner); …".

    Written out here, not through a template: a template per row cost more than the page's SQL.
    """

    def value(self, obj):
        return getattr(obj, "current_occupancies", [])

    def render(self, obj):
        occupancies = self.value(obj)
        if not occupancies:
            return format_html('<span class="text-secondary">{}</span>', "—")
        unit_url = getattr(obj, "unit_url", None)  # the table's, else each unit's reverse()
        return format_html_join(
            "",
            '<div class="text-nowrap"><a href="{}">{} {} {}</a> <span class="badge {}">{}</span>'
            ' <span class="text-secondary small">{}</span></div>',
            (
                (
                    unit_url(o.unit_id) if unit_url else o.unit.get_absolute_url(),
                    o.building.name,
                    o.unit.entrance.name,
                    o.unit.room_no,
                    ROLE_BADGES.get(o.role, "bg-secondary-lt"),
                    str(ROLE_LABELS.get(o.role, o.role)),
                    o.estate.name,
                )
                for o in occupancies
            ),
        )

    def export_value(self, obj):
        return "; ".join(
            f"{o.estate.name} {o.building.name} {o.unit.entrance.name} {o.unit.room_no} "
            f"({ROLE_LABELS.get(o.role, o.role)})"
            for o in self.value(obj)
        )


class LabelColumn(Column):
    """A choice field's label from a dict (``get_FOO_display`` rebuilds its dict every call)."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.labels = dict(choices)

    def value(self, obj):
        value = getattr(obj, self.accessor)
        return str(self.labels.get(value, value))


class PhoneColumn(Column):
    def value(self, obj):
        return shown_phone(obj)


class IdNumberColumn(Column):
    def value(self, obj):
        return shown_id(obj)


class ResidentTable(IdentityTable):
    default_order = ("name", "pk")

    name = Column(label=pgettext_lazy("person", "Name"), link=True)
    phone = PhoneColumn(label=_("Phone"), orderable=False)
    id_number = IdNumberColumn(label=_("ID number"), orderable=False)
    units = UnitsColumn(label=_("Units"), orderable=False)
    kind = LabelColumn(ResidentKind.choices, label=_("Kind"), order_by="kind")
    created_at = Column(label=_("Registered at"))

    def link(self, obj):
        if not hasattr(self, "person_url"):
            self.person_url = DetailUrls("residents:resident_detail")
        return self.person_url(obj.pk)

    def rows(self, objects):
        return super().rows(self.with_unit_urls(objects))

    def with_unit_urls(self, objects):
        unit_url = DetailUrls("estates:unit_detail")
        for obj in objects:
            obj.unit_url = unit_url
            yield obj


class HistoryResidentTable(ResidentTable):
    default_order = ("-archived_at", "pk")

    archived_at = Column(label=_("Archived at"))
    archive_reason = Column(label=_("Reason"), orderable=False)


class RegistrationTable(Table):
    default_order = ("-created_at", "-pk")

    resident = Column("resident__name", label=_("Main person"), link=True)
    role = Column(label=_("Role"), order_by="role")
    unit = Column(label=_("Unit"), orderable=False)
    move_in = Column(label=_("Move-in date"))
    submitted_by = Column(label=_("Submitted by"), orderable=False)
    status = Column(label=_("Status"), template="residents/partials/registration_badge.html")
    created_at = Column(label=_("Submitted at"))
