"""Tables of the announcement pages: the list (with each row's figures) and the unread list,
whose columns are also those of its Excel export."""

from collections import defaultdict

from django.core.paginator import Paginator
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from courtyard.core.privacy import shown_phone
from courtyard.core.tables import Column, Table

from .models import Notice, NoticeComment, NoticeReceipt

DATETIME = "notices/partials/datetime_cell.html"

# Tabler colours of the states (core's map lacks the notice-only ones).
STATUS_COLOURS = {
    "draft": "secondary",
    "pending_review": "yellow",
    "approved": "azure",
    "published": "green",
    "expired": "secondary",
    "rejected": "red",
    "withdrawn": "orange",
}


NOTHING = mark_safe('<span class="text-secondary">—</span>')


def page_figures(notices):
    """Give each notice of a page its ``figures`` (audience, read, liked, comments) and
    ``estate_names``: three queries for the whole page, whatever its size."""
    notices = list(notices)
    ids = [notice.pk for notice in notices]
    if not ids:
        return notices
    receipts = {
        row["notice_id"]: row
        for row in NoticeReceipt.objects.filter(notice_id__in=ids)
        .order_by()
        .values("notice_id")
        .annotate(audience=Count("*"), read=Count("read_at"), liked=Count("liked_at"))
    }
    comments = dict(
        NoticeComment.objects.filter(notice_id__in=ids, parent__isnull=True)
        .order_by()
        .values_list("notice_id")
        .annotate(n=Count("*"))
    )
    estates = defaultdict(list)
    for notice_id, name in (
        Notice.estates.through.objects.filter(notice_id__in=ids)
        .order_by("estate__name")
        .values_list("notice_id", "estate__name")
    ):
        estates[notice_id].append(name)
    for notice in notices:
        row = receipts.get(notice.pk, {})
        notice.figures = {
            "audience": row.get("audience", 0),
            "read": row.get("read", 0),
            "liked": row.get("liked", 0),
            "comments": comments.get(notice.pk, 0),
        }
        notice.estate_names = estates[notice.pk]
    return notices


def status_badge(notice):
    colour = STATUS_COLOURS.get(notice.status, "secondary")
    return format_html(
        '<span class="badge bg-{}-lt notice-status">{}</span>', colour, notice.get_status_display()
    )


def flag_badges(notice):
    """Pinned and must-read marks after a title."""
    badges = []
    if notice.pinned:
        badges.append(("bg-blue-lt", "ti-pin", _("Pinned")))
    if notice.must_read:
        badges.append(("bg-red-lt", "ti-alert-square", _("Must read")))
    return format_html_join(
        "",
        ' <span class="badge {} notice-flag"><i class="ti {} me-1"></i>{}</span>',
        badges,
    )


class TitleColumn(Column):
    def render(self, notice):
        return format_html(
            '<span class="notice-title">{}</span>{}<div class="text-secondary small">{}</div>',
            notice.title,
            flag_badges(notice),
            notice.get_category_display(),
        )


class StatusColumn(Column):
    def render(self, notice):
        return status_badge(notice)

    def value(self, notice):
        return notice.get_status_display()


class EstatesColumn(Column):
    def value(self, notice):
        return "、".join(getattr(notice, "estate_names", ()))


class FigureColumn(Column):
    """A count from ``page_figures``; nothing before publishing."""

    def value(self, notice):
        return notice.figures[self.accessor] if notice.figures["audience"] else None

    def render(self, notice):
        value = self.value(notice)
        if value is None:
            return NOTHING
        return format_html('<span class="notice-figure">{}</span>', value)


class ReadsColumn(FigureColumn):
    def render(self, notice):
        figures = notice.figures
        if not figures["audience"]:
            return NOTHING
        return format_html(
            '<span class="notice-figure text-nowrap">{} / {}</span>'
            '<div class="text-secondary small">{}%</div>',
            figures["read"],
            figures["audience"],
            round(figures["read"] * 100 / figures["audience"]),
        )


class NoticeTable(Table):
    default_order = ("-pinned", "-created_at", "-pk")

    title = TitleColumn(label=_("Title"), link=True)
    status = StatusColumn(label=_("Status"))
    estates = EstatesColumn(label=_("Estates"), orderable=False)
    effective_from = Column(label=_("Takes effect"), template=DATETIME)
    effective_to = Column(label=_("Ends"), template=DATETIME)
    author = Column("created_by__full_name", label=_("Author"))
    read = ReadsColumn(label=_("Read / audience"), orderable=False)
    liked = FigureColumn(label=_("Likes"), orderable=False)
    comments = FigureColumn(label=_("Comments"), orderable=False)

    def rows(self, objects):
        return super().rows(page_figures(objects))


# The unread list ---------------------------------------------------------------------------


class UnitColumn(Column):
    def value(self, receipt):
        unit = receipt.unit
        if unit is None:
            return ""
        return f"{unit.building.name} {unit.entrance.name} {unit.room_no}"


class PhoneColumn(Column):
    """The resident's phone as the privacy policy lets ``viewer`` see it."""

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def value(self, receipt):
        return shown_phone(self.viewer, receipt.resident.phone, receipt.resident)


class UnreadTable(Table):
    """Audience members who have not read a notice, by building, entrance and room."""

    per_page = 20
    default_order = ("unit__building__name", "unit__entrance__name", "unit__room_no", "pk")

    estate = Column("unit__estate__name", label=_("Estate"), orderable=False)
    unit = UnitColumn(label=_("Unit"), orderable=False)
    name = Column("resident__name", label=_("Name"), orderable=False)
    phone = PhoneColumn(label=_("Mobile number"), orderable=False)

    def __init__(self, queryset, request=None, per_page=None, *, viewer=None):
        super().__init__(queryset, request, per_page)
        self.columns = dict(self.columns)
        self.columns["phone"] = PhoneColumn(label=_("Mobile number"), viewer=viewer)
        self.columns["phone"].accessor = "resident__phone"

    def order(self, queryset):
        # The selector's order (unit, person) is the list's only order.
        self.sort = ""
        return queryset

    def page(self, count=None):
        """A page of the list; ``count`` (the statistics' unread figure) spares counting
        the unread receipts again."""
        paginator = Paginator(self.queryset, self.per_page)
        if count is not None:
            paginator.count = count
        number = self.request.GET.get("page", 1) if self.request else 1
        return paginator.get_page(number)
