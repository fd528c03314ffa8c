"""Background tasks of the core: message delivery with retries, job running."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import messaging
from .choices import MessageStatus
from .models import Message


@db_task(retries=4, retry_delay=30)
def deliver_message_task(message_id):
    if messaging.deliver(message_id):
        raise RuntimeError(f"message {message_id} not delivered yet; retrying")


@db_task()
def deliver_messages_task(message_ids):
    """Deliver a batch of queued messages (a bill run's or a notice's publishing, thousands at
    a time): one task per batch instead of one per message. A message to retry stays queued
    for ``redeliver_stuck_messages``."""
    for message_id in message_ids:
        messaging.deliver(message_id)


@db_periodic_task(crontab(minute="*/10"))
def redeliver_stuck_messages():
    """Messages left queued (e.g. the worker was down when they were created) are re-sent."""
    for pk in Message.objects.filter(status=MessageStatus.QUEUED).values_list("pk", flat=True)[
        :500
    ]:
        deliver_message_task(pk)


@db_task()
def run_job_task(job_id):
    from .jobs import run_job

    run_job(job_id)


@db_periodic_task(crontab(minute="*"))
def recover_abandoned_jobs_task():
    """Jobs whose worker died (their lease expired) are resumed or failed cleanly."""
    from .jobs import recover_abandoned_jobs

    recover_abandoned_jobs()
