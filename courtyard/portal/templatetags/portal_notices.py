"""The must-read pop-up of the portal: every portal page asks whether a must-read notice
awaits my confirmation (one indexed query); while one does, the base template shows it in a
pop-up that only "I have read and understood" closes."""

from django import template

from courtyard.notices import selectors

from ..notices.forms import ConfirmForm
from ..notices.selectors import as_read, listed_files

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_must_read(context):
    """The oldest must-read notice the signed-in resident has not confirmed, as they read it
    (with its files and the confirmation form), or None. Asked once per request."""
    request = context.get("request")
    if request is None:
        return None
    if not hasattr(request, "_pending_must_read"):
        request._pending_must_read = _pending(request.user)
    return request._pending_must_read


def _pending(user):
    notice = selectors.must_read_pending(user).first()
    if notice is None:
        return None
    as_read(notice, selectors.my_receipt(user, notice))
    notice.posters, notice.files = listed_files(notice)
    notice.confirm_form = ConfirmForm(auto_id="must-read-%s")
    return notice
