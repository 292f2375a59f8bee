"""Background work for accounts, run by the `django_tasks_db` worker (`manage.py db_worker`)."""

from django.tasks import task

from accounts import emails


@task()
def stripe_account_requirements_email_send(
    *, stripe_account_pk: int, requirements: list[str]
) -> bool:
    """Tell a Custom seller that Stripe needs more information (the list is of Stripe's
    requirement names; the email says them in words)."""
    return emails.requirements_email_send(
        stripe_account_pk=stripe_account_pk, requirements=requirements
    )
