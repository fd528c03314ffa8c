"""What every staff page needs: navigation, the estate filter, unread notices."""

from .approvals.services import awaiting_count
from .estate_model import estates_for
from .models import Message
from .modules import navigation_for
from .scoping import user_scope


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_resident:
        return {}
    resolver = getattr(request, "resolver_match", None)
    return {
        "navigation": navigation_for(user),
        "current_url_name": f"{resolver.namespace}:{resolver.url_name}" if resolver else "",
        "current_namespace": resolver.namespace if resolver else "",
        "estate_choices": estates_for(user).only("pk", "name"),
        "current_estate_id": request.session.get("estate_id"),
        "approval_count": awaiting_count(user),
        # Every list would be empty without saying why: the pages warn instead.
        "scope_is_empty": user_scope(user).is_empty,
        "unread_count": Message.objects.filter(
            recipient_user=user, channel="app", read_at__isnull=True
        ).count(),
    }
