"""Emails an order's change sends, queued once its transaction commits."""

from django.db import transaction

from checkout import emails
from checkout.models import Order
from checkout.tasks import order_email_send


def order_email_later(*, order_id: int, kind: str) -> None:
    transaction.on_commit(lambda: order_email_send.enqueue(order_id=order_id, kind=kind))


def order_refund_email_kind(*, order: Order) -> str:
    # One notice per refunded total, so each further partial refund is announced once.
    return f"{emails.REFUND_PREFIX}{order.refunded_amount}"
