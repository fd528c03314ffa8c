"""Periodic work of the notices module: publish what is due, expire what has ended. (A
publishing's messages go out through core's ``deliver_messages_task``.)"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def publish_and_expire_task():
    from . import services

    services.publish_due_notices()
    services.expire_due_notices()
