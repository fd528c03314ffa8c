"""The business timeline of a record: who did what to it, and when."""

from django.contrib.contenttypes.models import ContentType

from .models import TimelineEvent


def record_event(subject, actor, verb, message="", **data):
    """Append one event to ``subject``'s timeline (call inside the service's transaction)."""
    return TimelineEvent.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        verb=verb,
        message=str(message),
        data=data,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def events_for(subject):
    return TimelineEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
    ).select_related("actor")
