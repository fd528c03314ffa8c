"""``{% maintenance_banner %}``: the upgrade notice on the sign-in page while maintenance is on."""

from django import template

from ..selectors import maintenance_state

register = template.Library()


@register.inclusion_tag("system/partials/maintenance_banner.html")
def maintenance_banner():
    return {"state": maintenance_state()}
