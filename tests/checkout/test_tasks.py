"""Order emails: HTML and text, each sent once per order and kind, retried on SMTP failure."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from checkout import emails, tasks
from checkout.models import Order, OrderEmail
from tests.checkout.factories import PaidOrderFactory

pytestmark = pytest.mark.django_db


def test_the_receipt_goes_to_the_buyer_in_html_and_text():
    order = PaidOrderFactory(course__title="Stripe for people")

    tasks.order_email_send.enqueue(order_id=order.pk, kind="receipt")

    [message] = mail.outbox
    assert message.to == [order.buyer.email]
    assert message.subject == "Your receipt for “Stripe for people”"
    assert "$49.00" in message.body
    assert f"/courses/{order.course.slug}/content/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<strong>“Stripe for people”</strong>" in html


def test_a_title_with_a_line_break_still_gets_its_emails_out():
    # Saved before titles were checked, or by other means than the course form.
    order = PaidOrderFactory(course__title="Stripe\nfor\r\npeople\u2028now")

    tasks.order_email_send.enqueue(order_id=order.pk, kind="receipt")
    tasks.order_email_send.enqueue(order_id=order.pk, kind="sale")

    receipt, sale = mail.outbox
    assert receipt.subject == "Your receipt for “Stripe for people now”"
    assert sale.subject == "You sold “Stripe for people now”"


def test_the_sale_notice_tells_the_seller_their_share():
    order = PaidOrderFactory(fee_amount=490)

    tasks.order_email_send.enqueue(order_id=order.pk, kind="sale")

    [message] = mail.outbox
    assert message.to == [order.seller.email]
    assert "Platform fee:  $4.90" in message.body
    assert "Your share:    $44.10" in message.body


def test_an_email_is_sent_once_however_often_the_task_runs():
    order = PaidOrderFactory()

    for _ in range(3):
        tasks.order_email_send.enqueue(order_id=order.pk, kind="receipt")

    assert len(mail.outbox) == 1
    record = OrderEmail.objects.get()
    assert record.sent_at is not None
    assert record.attempts == 1


def test_an_email_claimed_by_a_live_worker_is_not_sent_again():
    order = PaidOrderFactory()
    OrderEmail.objects.create(order=order, kind="receipt", claimed_at=timezone.now())

    assert emails.order_email_deliver(order_id=order.pk, kind="receipt") is False
    assert mail.outbox == []


def test_a_claim_left_by_a_dead_worker_is_taken_over():
    order = PaidOrderFactory()
    OrderEmail.objects.create(
        order=order, kind="receipt", claimed_at=timezone.now() - emails.CLAIM_TIMEOUT * 2
    )

    assert emails.order_email_deliver(order_id=order.pk, kind="receipt") is True
    assert len(mail.outbox) == 1


class FlakySMTP(EmailBackend):
    failures_left = 0

    def send_messages(self, messages):
        if FlakySMTP.failures_left:
            FlakySMTP.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_smtp(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.checkout.test_tasks.FlakySMTP"}}
    yield FlakySMTP
    FlakySMTP.failures_left = 0


def test_an_smtp_failure_retries_and_leaves_the_order_alone(flaky_smtp):
    order = PaidOrderFactory()
    flaky_smtp.failures_left = 2

    result = tasks.order_email_send.enqueue(order_id=order.pk, kind="receipt")

    # The first attempt fails visibly; its retries (run at once by the test backend) succeed.
    assert result.status == "FAILED"
    assert len(mail.outbox) == 1
    record = OrderEmail.objects.get()
    assert (record.attempts, record.sent_at is not None) == (3, True)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_retries_stop_after_the_last_attempt(flaky_smtp):
    order = PaidOrderFactory()
    flaky_smtp.failures_left = 100

    tasks.order_email_send.enqueue(order_id=order.pk, kind="receipt")

    record = OrderEmail.objects.get()
    assert record.attempts == tasks.MAX_EMAIL_ATTEMPTS
    assert record.sent_at is None
    assert "Connection unexpectedly closed" in record.last_error


@pytest.mark.django_db(transaction=True)
def test_with_the_database_queue_a_retry_is_queued_for_later(flaky_smtp, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    order = PaidOrderFactory()
    flaky_smtp.failures_left = 1

    with pytest.raises(smtplib.SMTPServerDisconnected):
        tasks.order_email_send.func(order_id=order.pk, kind="receipt")

    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["kwargs"] == {"order_id": order.pk, "kind": "receipt", "attempt": 2}
    assert retry.run_after > timezone.now()
    assert mail.outbox == []
