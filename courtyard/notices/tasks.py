"""Periodic work of the notices module: publish what is due, expire what has ended; and the
delivery of a publishing's messages in batches."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from courtyard.core import messaging


@db_periodic_task(crontab(minute="*"))
def publish_and_expire_task():
    from . import services

    services.publish_due_notices()
    services.expire_due_notices()


@db_task()
def deliver_messages_task(message_ids):
    """Deliver a batch of queued messages; one to retry stays queued for core's redelivery."""
    for message_id in message_ids:
        messaging.deliver(message_id)
