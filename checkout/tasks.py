"""Background work for checkout, run by the `django_tasks_db` worker (`manage.py db_worker`)."""

import logging
import smtplib
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from checkout import emails, membership_emails

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5


@task()
def order_email_send(*, order_id: int, kind: str, attempt: int = 1) -> bool:
    """Send one order email. On a mail-server failure it queues itself again with a growing
    delay (django_tasks_db has no automatic retries) and re-raises so the failed attempt shows
    in the task results; the order itself is never touched."""
    try:
        return emails.order_email_deliver(order_id=order_id, kind=kind)
    except (smtplib.SMTPException, OSError):
        if attempt < MAX_EMAIL_ATTEMPTS:
            retry = order_email_send
            if retry.get_backend().supports_defer:
                delay = timedelta(seconds=30 * 2 ** (attempt - 1))
                retry = retry.using(run_after=timezone.now() + delay)
            retry.enqueue(order_id=order_id, kind=kind, attempt=attempt + 1)
        else:
            logger.error("Giving up on the %s email for order %s", kind, order_id)
        raise


@task()
def membership_email_send(*, membership_id: int, kind: str, attempt: int = 1) -> bool:
    """Send one membership email, retried on a mail-server failure like `order_email_send`."""
    try:
        return membership_emails.membership_email_deliver(membership_id=membership_id, kind=kind)
    except (smtplib.SMTPException, OSError):
        if attempt < MAX_EMAIL_ATTEMPTS:
            retry = membership_email_send
            if retry.get_backend().supports_defer:
                delay = timedelta(seconds=30 * 2 ** (attempt - 1))
                retry = retry.using(run_after=timezone.now() + delay)
            retry.enqueue(membership_id=membership_id, kind=kind, attempt=attempt + 1)
        else:
            logger.error("Giving up on the %s email for membership %s", kind, membership_id)
        raise
