"""Background jobs: long work runs in the worker and reports progress to a page.

A module registers a handler per job kind::

    @job_handler("estates.import_units")
    def import_units(job): ...

The handler updates ``job.total`` / ``job.done`` through ``progress`` and returns a result
dict; raising ``JobFailed`` (with per-row errors) marks the job failed with nothing saved.

A worker claims a job in one statement (queued → running), so two workers never run it
twice, and holds a lease on it that a heartbeat renews while the handler works. A job whose
lease expired lost its worker (killed, the machine restarted): ``recover_abandoned_jobs``
(a periodic task) queues it again when its handler is ``resumable`` (it picks up where it
stopped, up to ``MAX_ATTEMPTS`` runs), else marks it failed after its ``abandon`` clean-up
removed what it had written.
"""

import logging
import threading
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from .audit import change_source
from .choices import JobStatus
from .models import Job

logger = logging.getLogger(__name__)
_handlers = {}
LEASE = timedelta(minutes=2)  # a worker silent this long is taken for dead
MAX_ATTEMPTS = 3  # runs of a resumable job before it is failed


class JobFailed(Exception):
    def __init__(self, message, errors=()):
        super().__init__(str(message))
        self.message = str(message)
        self.errors = list(errors)


def job_handler(kind, *, resumable=False, abandon=None):
    """Register ``func(job)`` for ``kind``. ``resumable``: run again after its worker died
    (it must skip what it has done); ``abandon(job)``: remove what a dead run wrote."""

    def decorator(func):
        func.resumable, func.abandon = resumable, abandon
        _handlers[kind] = func
        return func

    return decorator


def start_job(user, kind, params=None, input_file=None):
    """Create a job and queue it after the surrounding transaction commits."""
    # The worker answers in the language of the person who started the job.
    params = {"language": translation.get_language(), **(params or {})}
    job = Job(kind=kind, user=user, params=params)
    if input_file is not None:
        job.input_file.save(input_file.name, input_file, save=False)
    job.save()
    transaction.on_commit(lambda: run_job_task(job.pk))
    return job


def progress(job, done, total=None):
    """Report progress; it renews the job's lease too."""
    job.done = done
    fields = ["done"]
    if total is not None:
        job.total = total
        fields.append("total")
    Job.objects.filter(pk=job.pk).update(
        lease_until=timezone.now() + LEASE, **{f: getattr(job, f) for f in fields}
    )


def save_output(job, name, content):
    job.output_name = name
    job.output_file.save(name, ContentFile(content), save=False)


def run_job(job_id):
    """Claim the job if it is still queued (one statement: no other worker can) and run it."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, lease_until=timezone.now() + LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)
    source = "import" if ".import" in job.kind else "task"
    heartbeat = Heartbeat(job)
    heartbeat.start()
    try:
        with (
            change_source(source, actor=job.user),
            translation.override(job.params.get("language")),
        ):
            job.result = _handlers[job.kind](job) or {}
        job.status = JobStatus.SUCCEEDED
    except JobFailed as failure:
        job.status = JobStatus.FAILED
        job.result = {"message": failure.message}
        job.errors = [e.as_dict() if hasattr(e, "as_dict") else e for e in failure.errors]
    except Exception as exc:  # the page must show a failure, never spin forever
        logger.exception("job %s (%s) crashed", job.pk, job.kind)
        job.status = JobStatus.FAILED
        job.result = {"message": str(exc)[:500]}
    finally:
        heartbeat.stop()
    # Only this run's claim is finished: a run taken for dead and recovered is no longer ours.
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
        status=job.status,
        result=job.result,
        errors=job.errors,
        output_file=job.output_file.name or "",
        output_name=job.output_name,
        finished_at=timezone.now(),
        lease_until=None,
    )


class Heartbeat(threading.Thread):
    """Renews a running job's lease while its handler works, so that a long step between two
    progress reports is not taken for a dead worker."""

    def __init__(self, job):
        super().__init__(daemon=True, name=f"job-{job.pk}-heartbeat")
        self.job = job
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(LEASE.total_seconds() / 4):
                Job.objects.filter(
                    pk=self.job.pk, status=JobStatus.RUNNING, attempts=self.job.attempts
                ).update(lease_until=timezone.now() + LEASE)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self):
        self.stopped.set()
        self.join()


@db_task()
def run_job_task(job_id):
    """The worker's side of ``start_job``: run one queued job."""
    run_job(job_id)


def recover_abandoned_jobs(now=None):
    """Jobs running under an expired lease lost their worker: a resumable one is queued again
    (up to MAX_ATTEMPTS runs), any other is failed after its handler's clean-up. Returns the
    ids of the jobs recovered."""
    now = now or timezone.now()
    expired = Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    recovered = []
    for job in Job.objects.filter(expired, status=JobStatus.RUNNING):
        handler = _handlers.get(job.kind)
        # The same conditional update as a claim: of two recoverers, one wins.
        mine = Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts, lease_until=job.lease_until
        )
        if handler is not None and handler.resumable and job.attempts < MAX_ATTEMPTS:
            if mine.update(status=JobStatus.QUEUED, lease_until=None):
                logger.warning("job %s (%s) lost its worker; queued again", job.pk, job.kind)
                transaction.on_commit(lambda pk=job.pk: run_job_task(pk))
                recovered.append(job.pk)
            continue
        with translation.override(job.params.get("language")):
            result = {
                "message": _("The worker running this job stopped; nothing it wrote was kept.")
            }
        if mine.update(status=JobStatus.FAILED, result=result, finished_at=now, lease_until=None):
            logger.warning("job %s (%s) lost its worker; failed", job.pk, job.kind)
            if handler is not None and handler.abandon is not None:
                handler.abandon(job)
            recovered.append(job.pk)
    return recovered


def visible_jobs(user):
    if user.is_superuser:
        return Job.objects.all()
    return Job.objects.filter(user=user)
