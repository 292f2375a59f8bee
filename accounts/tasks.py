"""Background work for accounts, run by the task worker (`manage.py db_worker`)."""

import logging
import smtplib
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.utils import timezone

from accounts import emails

logger = logging.getLogger(__name__)

MAX_ACCOUNT_EMAIL_ATTEMPTS = 5


@task()
def account_email_send(
    *,
    subject: str,
    body: str,
    to: list[str],
    from_email: str,
    alternatives: list[list[str]],
    attempt: int = 1,
) -> None:
    """Send one of allauth's emails (address confirmation, password reset, ...), already
    rendered in the request. A mail-server failure queues it again with a growing delay."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, from_email=from_email)
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        if attempt < MAX_ACCOUNT_EMAIL_ATTEMPTS:
            retry = account_email_send
            if retry.get_backend().supports_defer:
                delay = timedelta(seconds=30 * 2 ** (attempt - 1))
                retry = retry.using(run_after=timezone.now() + delay)
            retry.enqueue(
                subject=subject,
                body=body,
                to=to,
                from_email=from_email,
                alternatives=alternatives,
                attempt=attempt + 1,
            )
        else:
            logger.error("Giving up on the account email %r to %s", subject, ", ".join(to))
        raise


@task()
def stripe_account_requirements_email_send(
    *, stripe_account_pk: int, requirements: list[str]
) -> bool:
    """Tell a Custom seller that Stripe needs more information (the list is of Stripe's
    requirement names; the email says them in words)."""
    return emails.requirements_email_send(
        stripe_account_pk=stripe_account_pk, requirements=requirements
    )
