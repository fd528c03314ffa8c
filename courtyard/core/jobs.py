"""Background jobs: long work runs in the worker and reports progress to a page.

A module registers a handler per job kind::

    @job_handler("estates.import_units")
    def import_units(job): ...

The handler updates ``job.total`` / ``job.done`` through ``progress`` and returns a result
dict; raising ``JobFailed`` (with per-row errors) marks the job failed with nothing saved.
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from .audit import change_source
from .choices import JobStatus
from .models import Job

logger = logging.getLogger(__name__)
_handlers = {}


class JobFailed(Exception):
    def __init__(self, message, errors=()):
        super().__init__(str(message))
        self.message = str(message)
        self.errors = list(errors)


def job_handler(kind):
    def decorator(func):
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
    from .tasks import run_job_task

    transaction.on_commit(lambda: run_job_task(job.pk))
    return job


def progress(job, done, total=None):
    job.done = done
    fields = ["done"]
    if total is not None:
        job.total = total
        fields.append("total")
    Job.objects.filter(pk=job.pk).update(**{f: getattr(job, f) for f in fields})


def save_output(job, name, content):
    job.output_name = name
    job.output_file.save(name, ContentFile(content), save=False)


def run_job(job_id):
    job = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).first()
    if job is None:
        return
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    source = "import" if ".import" in job.kind else "task"
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
    job.finished_at = timezone.now()
    job.save()


def visible_jobs(user):
    if user.is_superuser:
        return Job.objects.all()
    return Job.objects.filter(user=user)
