"""allauth's emails (address confirmation, password reset) go through the task worker."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from accounts import tasks
from accounts.models import User
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


class DownSMTP(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPConnectError(421, "Service not available")


@pytest.fixture
def smtp_down(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.accounts.test_emails.DownSMTP"}}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


SIGN_UP = {
    "email": "new.person@example.com",
    "password1": "a-very-good-passphrase",
    "password2": "a-very-good-passphrase",
}


def test_sign_up_works_while_the_mail_server_is_down(client, smtp_down):
    response = client.post("/accounts/signup/", SIGN_UP)

    assert response.status_code == 302
    assert User.objects.filter(email="new.person@example.com").exists()


def test_password_reset_works_while_the_mail_server_is_down(client, smtp_down):
    UserFactory(email="forgetful@example.com")

    response = client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})

    assert response.status_code == 302


def test_the_request_only_queues_the_email_and_the_worker_sends_it(client, database_queue):
    from django_tasks_db.models import DBTaskResult

    client.post("/accounts/signup/", SIGN_UP)

    assert mail.outbox == []
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "accounts.tasks.account_email_send"

    queued.task.call(**queued.args_kwargs["kwargs"])

    [message] = mail.outbox
    assert message.to == ["new.person@example.com"]
    assert "/accounts/confirm-email/" in message.body


def test_an_smtp_failure_queues_a_retry_for_later(smtp_down, database_queue):
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(smtplib.SMTPConnectError):
        tasks.account_email_send.func(
            subject="Confirm",
            body="Click",
            to=["a@example.com"],
            from_email="x@example.com",
            alternatives=[],
        )

    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now()


def address_of_length(length: int) -> str:
    """A valid address: a 64-character local part, domain labels of at most 50 characters."""
    labels, room = [], length - len("a" * 64 + "@" + "com")
    while room > 0:
        label = "b" * min(50, room - 1)
        labels.append(label)
        room -= len(label) + 1
    email = "a" * 64 + "@" + ".".join([*labels, "com"])
    assert len(email) == length
    return email


@pytest.mark.parametrize("length", [255, 320])
def test_sign_up_refuses_an_address_longer_than_the_user_table_keeps(client, length):
    email = address_of_length(length)
    form = {**SIGN_UP, "email": email}

    response = client.post("/accounts/signup/", form)

    assert response.status_code == 200
    assert "too long" in response.content.decode()
    assert not User.objects.exists()
    # Trying again is the same clear answer, not an error page.
    assert client.post("/accounts/signup/", form).status_code == 200


def test_sign_up_accepts_an_address_of_the_longest_length_kept(client):
    email = address_of_length(254)

    response = client.post("/accounts/signup/", {**SIGN_UP, "email": email})

    assert response.status_code == 302
    assert User.objects.get().email == email
