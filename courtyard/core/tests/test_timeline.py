import pytest
from django.contrib.auth.models import AnonymousUser

from courtyard.core.models import TimelineEvent
from courtyard.core.timeline import events_for, record_event
from tests.factories import EstateFactory, make_user

pytestmark = pytest.mark.django_db


def test_events_are_recorded_with_actor_message_and_data():
    estate = EstateFactory()
    clerk = make_user("clerk")
    event = record_event(estate, clerk, "renamed", "Renamed the estate", old="A", new="B")
    assert event.subject == estate and event.actor == clerk
    assert event.verb == "renamed" and event.message == "Renamed the estate"
    assert event.data == {"old": "A", "new": "B"}


def test_anonymous_or_missing_actor_is_recorded_as_the_system():
    estate = EstateFactory()
    assert record_event(estate, None, "imported").actor is None
    assert record_event(estate, AnonymousUser(), "viewed").actor is None


def test_events_of_a_record_newest_first_and_only_its_own(django_assert_num_queries):
    estate, other = EstateFactory(), EstateFactory()
    clerk = make_user("clerk")
    for verb in ("created", "published", "closed"):
        record_event(estate, clerk, verb)
    record_event(other, clerk, "created")
    with django_assert_num_queries(1):  # events with their actors, in one query
        events = list(events_for(estate))
        assert [e.actor.username for e in events] == ["clerk"] * 3
    assert [e.verb for e in events] == ["closed", "published", "created"]
    assert TimelineEvent.objects.count() == 4
