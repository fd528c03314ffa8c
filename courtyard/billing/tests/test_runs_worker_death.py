"""A bill run whose worker dies mid-way: a real worker process is killed (SIGKILL) once some
of the run's bills exist. The run and its job used to say "running" for ever, the drafts
stayed attached and publishing answered 409. Now the job's lease expires, the job is resumed
(the run fills its gaps) or, after its last attempt, failed with its drafts removed, and the
run can be started again. On SQLite the in-memory test database is copied to a file for the
worker and back."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courtyard.billing.choices import BillRunStatus
from courtyard.billing.models import Bill, BillRun
from courtyard.billing.runs.services import publish_bill_run, start_bill_run
from courtyard.core import jobs
from courtyard.core.choices import JobStatus
from courtyard.core.exceptions import StateConflict
from courtyard.residents.tests.helpers import resident_in
from tests.factories import UnitFactory, make_user

pytestmark = pytest.mark.django_db(transaction=True)
UNITS = 6

# The worker: the run's job, a bill per chunk and a pause after each, so it can be killed
# half-way.
WORKER = """
import sys, time
import django
django.setup()
from courtyard.billing.runs import services as runs_services
from courtyard.core.jobs import run_job
runs_services.CHUNK = 1
flush = runs_services.BillWriter.flush
def slow_flush(writer):
    flush(writer)
    time.sleep(0.3)
runs_services.BillWriter.flush = slow_flush
run_job(int(sys.argv[1]))
"""


class Worker:
    """A worker process on the test database (PostgreSQL: the same one; SQLite: a copy)."""

    def __init__(self, tmp_path):
        self.file = None
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "courtyard.settings_test"}
        db = connection.settings_dict
        if connection.vendor == "sqlite":
            self.file = tmp_path / "worker.sqlite3"
            connection.ensure_connection()
            with sqlite3.connect(self.file) as copy:
                connection.connection.backup(copy)
            env["DATABASE_URL"] = f"sqlite:///{self.file}"
        else:
            env["DATABASE_URL"] = (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}"
                f"/{db['NAME']}"
            )
        self.env = env

    def start(self, job_id):
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(job_id)],
            env=self.env,
            cwd=Path(settings.BASE_DIR),
        )

    def bills(self, run_id):
        if self.file is None:
            return Bill.objects.filter(bill_run_id=run_id).count()
        with sqlite3.connect(self.file) as db:
            query = "SELECT count(*) FROM billing_bill WHERE bill_run_id = ?"
            return db.execute(query, [run_id]).fetchone()[0]

    def kill_once_bills_exist(self, run_id):
        deadline = time.monotonic() + 60
        while self.bills(run_id) == 0:
            assert self.process.poll() is None, "the worker ended before writing a bill"
            assert time.monotonic() < deadline, "the worker wrote no bill in a minute"
            time.sleep(0.05)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        if self.file is not None:  # what the worker wrote comes back to the test database
            with sqlite3.connect(self.file) as copy:
                copy.backup(connection.connection)


@pytest.fixture
def killed_run(finance, estate, unit, items, tmp_path, monkeypatch):
    """A run whose worker was killed after writing some of its bills."""
    resident_in(unit)
    for number in range(UNITS - 1):
        UnitFactory(entrance=unit.entrance, room_no=f"2{number}", area="60.00")
    monkeypatch.setattr(jobs, "run_job_task", lambda job_id: None)  # the worker runs it
    run = start_bill_run(
        finance,
        estate=estate,
        buildings=[],
        cycle="month",
        period="2026-10",
        items=[items["property-fee"]],
    )
    monkeypatch.undo()
    worker = Worker(tmp_path)
    worker.start(run.job_id)
    worker.kill_once_bills_exist(run.pk)
    run.refresh_from_db()
    return run


def after_the_lease():
    return timezone.now() + jobs.LEASE + timedelta(seconds=1)


def test_a_killed_run_is_detected_and_resumed(finance, killed_run):
    run, job = killed_run, killed_run.job
    written = Bill.objects.filter(bill_run=run).count()
    assert 0 < written < UNITS
    assert run.status == BillRunStatus.RUNNING and job.status == JobStatus.RUNNING
    with pytest.raises(StateConflict):
        publish_bill_run(finance, run)
    assert jobs.recover_abandoned_jobs() == []  # the lease still holds
    assert jobs.recover_abandoned_jobs(now=after_the_lease()) == [job.pk]

    run.refresh_from_db()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    assert run.status == BillRunStatus.GENERATED and run.bill_count == UNITS
    assert Bill.objects.filter(bill_run=run).count() == UNITS
    assert publish_bill_run(finance, run) == UNITS


def test_a_run_killed_on_its_last_attempt_fails_clean_and_restarts(finance, killed_run, client):
    run, job = killed_run, killed_run.job
    type(job).objects.filter(pk=job.pk).update(attempts=jobs.MAX_ATTEMPTS)
    assert jobs.recover_abandoned_jobs(now=after_the_lease()) == [job.pk]
    run.refresh_from_db()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker" in job.result["message"]
    assert run.status == BillRunStatus.FAILED
    assert not Bill.objects.filter(bill_run=run).exists()

    client.force_login(finance)
    page = client.get(reverse("billing:billrun_detail", args=[run.pk])).content.decode()
    assert "run-restart-button" in page and "The worker running this job stopped" in page
    client.post(reverse("billing:billrun_restart", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == BillRunStatus.GENERATED and run.bill_count == UNITS
    assert run.job_id != job.pk and run.job.status == JobStatus.SUCCEEDED
    assert BillRun.objects.get(pk=run.pk).bill_count == UNITS


def test_a_failed_run_is_started_again_through_the_api(api, finance, estate, other_estate, items):
    payload = {"estate": estate.pk, "cycle": "month", "period": "2026-10"}
    created = api(finance).post("/bill-runs", {**payload, "items": [items["property-fee"].pk]})
    run = BillRun.objects.get(pk=created.json()["id"])
    first_job = run.job_id
    refused = api(finance).post(f"/bill-runs/{run.pk}/restart")
    assert refused.status_code == 409 and refused.json()["code"] == "not_failed"
    BillRun.objects.filter(pk=run.pk).update(status=BillRunStatus.FAILED)
    stranger = make_user("stranger", "billing.add_billrun", estates=[other_estate])
    assert api(stranger).post(f"/bill-runs/{run.pk}/restart").status_code == 404
    restarted = api(finance).post(f"/bill-runs/{run.pk}/restart")
    assert restarted.status_code == 200
    run.refresh_from_db()
    assert run.status == BillRunStatus.GENERATED and run.job_id != first_job
