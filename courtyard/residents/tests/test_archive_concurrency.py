"""Archiving a person while someone moves them in, in real threads with their own connections
(PostgreSQL: real row locks). The archive used to check "lives nowhere" before its transaction
and without a lock, so a move-in committed in between left an archived person living in a
unit. On SQLite the stale-record half is shown in test_services
(``test_a_person_archived_meanwhile_is_not_archived_twice``)."""

import datetime
import threading

import pytest
from django.db import connection, connections

from courtyard.residents import hooks, services
from courtyard.residents.models import Occupancy, Resident

from .conftest import person

TODAY = datetime.date(2026, 3, 1)
pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_a_move_in_during_an_archive_leaves_no_archived_resident(clerk, unit, monkeypatch):
    services.submit_registration(clerk, unit=unit, main=person(), move_in=TODAY)
    member = services.add_member(clerk, unit, person("张小明", role="member", sequence=3), TODAY)
    services.end_occupancy(clerk, member, TODAY)
    moving_in, moved_in = threading.Event(), threading.Event()

    def archive_check(resident):
        # The archive has looked where the person lives; the move-in happens now.
        moving_in.set()
        moved_in.wait(timeout=3)

    monkeypatch.setattr(hooks, "_archive_checks", [archive_check])

    def archive():
        try:
            services.archive_resident(clerk, Resident.objects.get(pk=member.resident_id))
        finally:
            connections.close_all()

    def move_in():
        try:
            moving_in.wait(timeout=3)
            back = person("张小明", role="member", sequence=3)
            services.add_member(clerk, unit, back)
            moved_in.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=archive), threading.Thread(target=move_in)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    resident = Resident.objects.get(pk=member.resident_id)
    assert Occupancy.objects.filter(resident=resident, status="current").exists()
    assert resident.archived_at is None and resident.status == "current"
