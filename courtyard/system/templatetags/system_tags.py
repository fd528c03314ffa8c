"""``{% maintenance_banner %}``: the upgrade notice on the sign-in page while maintenance is on."""

from django import template

from courtyard.core.audit import SOURCES

from ..selectors import maintenance_state

register = template.Library()


@register.inclusion_tag("system/partials/maintenance_banner.html")
def maintenance_banner():
    return {"state": maintenance_state()}


@register.filter
def source_label(source):
    """The translated name of a change source (web, API, import, task, system)."""
    return SOURCES.get(source, source) or "—"
