"""The core's periodic tasks: stuck messages sent again, abandoned jobs recovered.

The tasks queued on demand live beside their work (``messaging.deliver_message_task``,
``jobs.run_job_task``), so that this module depends on them and never the other way round.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .choices import MessageStatus
from .jobs import recover_abandoned_jobs, run_job_task  # noqa: F401  (registers run_job_task)
from .messaging import deliver_message_task, deliver_messages_task  # noqa: F401
from .models import Message


@db_periodic_task(crontab(minute="*/10"))
def redeliver_stuck_messages():
    """Messages left queued (e.g. the worker was down when they were created) are re-sent."""
    for pk in Message.objects.filter(status=MessageStatus.QUEUED).values_list("pk", flat=True)[
        :500
    ]:
        deliver_message_task(pk)


@db_periodic_task(crontab(minute="*"))
def recover_abandoned_jobs_task():
    """Jobs whose worker died (their lease expired) are resumed or failed cleanly."""
    recover_abandoned_jobs()
