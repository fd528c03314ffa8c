"""Template helpers for the shell and the generic pages: URLs, values, badges, navigation."""

import datetime
import functools
import importlib.metadata
from decimal import Decimal

from django import forms, template
from django.db.models import Model
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from .. import privacy
from ..audit import SOURCES
from ..money import grouped, shown_money

register = template.Library()

EMPTY = "—"

# Status values (of any module) → Tabler colour. Unknown values stay neutral.
STATUS_COLOURS = {
    "queued": "secondary",
    "pending": "yellow",
    "draft": "secondary",
    "running": "blue",
    "in_progress": "blue",
    "processing": "blue",
    "dispatched": "azure",
    "accepted": "azure",
    "sent": "green",
    "succeeded": "green",
    "done": "green",
    "completed": "green",
    "closed": "secondary",
    "paid": "green",
    "published": "green",
    "active": "green",
    "approved": "green",
    "normal": "green",
    "occupied": "green",
    "vacant": "secondary",
    "unpaid": "orange",
    "overdue": "red",
    "failed": "red",
    "rejected": "red",
    "abnormal": "red",
    "cancelled": "secondary",
    "void": "secondary",
    "voided": "secondary",
    "expired": "secondary",
}


@register.simple_tag
def object_url(obj, action):
    """URL of ``<app>:<model>_<action>`` for ``obj`` ("" when the module has no such page)."""
    opts = obj._meta
    try:
        return reverse(f"{opts.app_label}:{opts.model_name}_{action}", args=[obj.pk])
    except NoReverseMatch:
        pass
    if action == "detail":
        try:
            return obj.get_absolute_url()
        except (AttributeError, NoReverseMatch):
            pass
    return ""


def _ymd(day):
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


@register.filter
def display(value, mode=""):
    """A value for a detail page or a table cell: yes/no badges, "—" for nothing.

    Records link to their page unless ``mode`` is "plain" (the cell is a link already).
    """
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        if value:
            return format_html('<span class="badge bg-green-lt">{}</span>', _("Yes"))
        return format_html('<span class="badge bg-secondary-lt">{}</span>', _("No"))
    # Formatted here as the date filter's "Y-m-d H:i" would (which is ~0.1 ms a value).
    if isinstance(value, datetime.datetime):
        local = template_localtime(value)
        return f"{_ymd(local)} {local.hour:02d}:{local.minute:02d}"
    if isinstance(value, datetime.date):
        return _ymd(value)
    if isinstance(value, Decimal):
        return grouped(value)
    if isinstance(value, Model):
        try:
            url = "" if mode == "plain" else value.get_absolute_url()
        except (AttributeError, NoReverseMatch):
            url = ""
        if url:
            return format_html('<a href="{}">{}</a>', url, value)
        return str(value)
    return value


@register.filter
def money(value):
    """An amount as people read it, ``{{ bill.amount|money }}`` → ¥1,639,566.41; "—" for none."""
    if value is None or value == "":
        return EMPTY
    return shown_money(value)


@register.filter
def table_cells(row):
    """A table row's ``<td>`` cells, each as ``{{ cell.value|display }}`` wrote it (in a link:
    ``display:"plain"``). One filter per row: a template tag per cell cost more than the SQL
    of a list page. Reads the cells as they are when drawn (a table may change a cell's link).
    """
    cells = []
    for cell in row["cells"]:
        url = cell.get("url")
        shown = localize(display(cell["value"], "plain" if url else ""))
        if url:
            cells.append(format_html('<td><a href="{}">{}</a></td>', url, shown))
        else:
            cells.append(format_html("<td>{}</td>", shown))
    return mark_safe("".join(cells))


@register.filter
def status_colour(value):
    """Tabler colour name for a status value, e.g. ``bg-{{ job.status|status_colour }}-lt``."""
    return STATUS_COLOURS.get(str(value).lower(), "secondary")


@register.simple_tag(takes_context=True)
def shown_phone(context, record, field="phone"):
    """A phone of ``record`` as the privacy policy lets the viewer see it, in full or masked:
    ``{% shown_phone order "contact_phone" %}`` (``… as phone`` to test or format it)."""
    if record is None:
        return ""
    request = context.get("request")
    return privacy.shown_phone(getattr(request, "user", None), getattr(record, field), record)


@register.filter
def change_source(entry):
    """The translated source (web, API, import, task) of an auditlog entry."""
    source = (entry.additional_data or {}).get("source") if entry.additional_data else None
    return SOURCES.get(source, source or EMPTY)


# Bookkeeping fields that the entry itself already shows (who, when) or nobody reads.
HIDDEN_CHANGE_FIELDS = {"id", "created_at", "updated_at", "created_by"}


@register.simple_tag(takes_context=True)
def change_pairs(context, entry, record=None):
    """(field, old, new) of an auditlog entry's own fields, "—" for nothing, no empty rows;
    the phones of ``record`` masked unless the viewer sees them in full:
    ``{% change_pairs entry object as pairs %}``."""
    model = entry.content_type.model_class()
    shown = None
    masked = ()
    if model is not None:
        shown = {f.name for f in model._meta.concrete_fields} - HIDDEN_CHANGE_FIELDS
        viewer = getattr(context.get("request"), "user", None)
        if not privacy.sees_full_phone(viewer, record):
            masked = privacy.phone_fields(model)
    result = []
    names = list(entry.changes_dict)
    for name, (label, values) in zip(names, entry.changes_display_dict.items(), strict=False):
        if shown is not None and name not in shown:
            continue
        if isinstance(values, (list, tuple)) and len(values) == 2:
            old, new = ("" if v in (None, "None") else v for v in values)
        else:
            old, new = "", values
        if name in masked:
            old, new = privacy.mask_phone(old), privacy.mask_phone(new)
        if old or new:
            result.append((label, old or EMPTY, new or EMPTY))
    return result


@register.filter
def styled(field):
    """Render a bound field with its Tabler class (filter forms are plain django-filter forms)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        css = ""
    elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
        css = "form-select"
    else:
        css = "form-control"
    existing = widget.attrs.get("class", "")
    if css and css not in existing:
        css = f"{existing} {css}".strip()
    else:
        css = existing
    attrs = {"class": css} if css else {}
    if isinstance(widget, forms.TextInput) and field.name == "q":
        attrs["placeholder"] = _("Search…")
    return field.as_widget(attrs=attrs)


@functools.lru_cache(maxsize=256)
def _nav_href(url_name, script_prefix, urlconf):
    """A navigation entry's URL: the same on every page, so reversed once (not ~25 a page)."""
    return reverse(url_name, urlconf=urlconf)


@register.simple_tag
def nav_entries(navigation, path):
    """The navigation with resolved URLs; the entry whose URL is the longest prefix is active."""
    modules = []
    best = ""
    for module, items in navigation:
        entries = []
        for item in items:
            try:
                href = _nav_href(item.url_name, get_script_prefix(), get_urlconf())
            except NoReverseMatch:
                continue
            entries.append({"label": item.label, "href": href, "active": False})
            if href != "/" and path.startswith(href) and len(href) > len(best):
                best = href
        if entries:
            modules.append({"module": module, "items": entries, "active": False})
    for group in modules:
        for entry in group["items"]:
            if best and entry["href"] == best:
                entry["active"] = group["active"] = True
    return modules


@register.simple_tag
@functools.cache  # the installed package's metadata is read from disk: once per process
def courtyard_version():
    try:
        return importlib.metadata.version("courtyard")
    except importlib.metadata.PackageNotFoundError:
        return ""


@register.simple_tag
def page_range(page, around=2):
    """Page numbers to show, with ``None`` where pages are skipped: 1 … 4 5 [6] 7 8 … 20."""
    last = page.paginator.num_pages
    current = page.number
    numbers = []
    for number in range(1, last + 1):
        if number in (1, last) or abs(number - current) <= around:
            numbers.append(number)
        elif numbers and numbers[-1] is not None:
            numbers.append(None)
    return numbers


@register.filter
def job_title(job):
    """A reader's name for a job: its kind of work (import, export …) and number."""
    kind = job.kind.rsplit(".", 1)[-1]
    if kind.startswith("import"):
        label = _("Import")
    elif kind.startswith("export"):
        label = _("Export")
    else:
        label = _("Background job")
    return f"{label} #{job.pk}"
