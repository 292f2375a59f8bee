"""Fulfilment raced from many threads, the way the success page and webhooks race in production.

Needs PostgreSQL (SQLite serialises writers, which would hide the race): CI runs the suite with
`DATABASE_URL=postgres://...`; locally, e.g.
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/checkout pytest tests/checkout/test_concurrency.py`
"""

import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections

from checkout import stripe_payments
from checkout.models import Order, OrderEmail
from checkout.services import sale_totals
from checkout.services.errors import CheckoutError
from checkout.services.orders import order_checkout_start, order_fulfil
from checkout.services.sale_totals import sale_totals_rebuild
from tests.checkout.conftest import paid_session
from tests.checkout.factories import OrderFactory, PaidOrderFactory

THREADS = 10

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Concurrency needs real row locks: set DATABASE_URL to a PostgreSQL database.",
    ),
]


def run_at_once(target) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            target()
        except BaseException as error:  # collected and asserted on by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_ten_concurrent_fulfilments_pay_once_transfer_once_and_email_once(monkeypatch):
    order = OrderFactory(charge_type=Order.ChargeType.SEPARATE, fee_amount=490)
    session = paid_session(order)
    transfers: list[dict] = []
    lock = threading.Lock()

    def slow_retrieve(**kwargs):
        assert not connection.in_atomic_block
        time.sleep(0.05)  # every thread reads Stripe before any records the payment
        return session

    def transfer(**kwargs):
        assert not connection.in_atomic_block
        time.sleep(0.05)
        with lock:
            transfers.append(kwargs)
        return stripe_payments.TransferResult(id="tr_once", amount=kwargs["amount"])

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", slow_retrieve)
    monkeypatch.setattr(stripe_payments, "transfer_create", transfer)

    errors = run_at_once(lambda: order_fulfil(session_id=order.checkout_session_id))

    assert errors == []
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.transfer_id == "tr_once"
    assert [t["amount"] for t in transfers] == [4900 - 490]
    assert sorted(OrderEmail.objects.values_list("kind", flat=True)) == ["receipt", "sale"]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [order.buyer.email, order.seller.email]
    )


def test_ten_concurrent_buy_clicks_open_one_checkout_session(monkeypatch, buyer):
    course = OrderFactory().course
    created: list[dict] = []
    lock = threading.Lock()

    def create(**kwargs):
        assert not connection.in_atomic_block
        time.sleep(0.05)
        with lock:
            created.append(kwargs)
        return paid_session(
            Order.objects.get(pk=kwargs["order_id"]),
            id=f"cs_test_click{kwargs['order_id']}",
            url="https://checkout.stripe.test/pay",
            status="open",
            payment_status="unpaid",
            expires_at=kwargs["expires_at"],
        )

    monkeypatch.setattr(stripe_payments, "checkout_session_create", create)
    outcomes: list[str] = []

    def click():
        try:
            order = order_checkout_start(buyer=buyer, course=course)
        except CheckoutError as error:
            outcomes.append(error.user_message)
        else:
            outcomes.append(order.checkout_url)

    errors = run_at_once(click)

    assert errors == []
    assert len(created) == 1
    assert set(outcomes) <= {
        "https://checkout.stripe.test/pay",
        "Your payment page is being prepared. Try again in a moment.",
    }
    assert Order.objects.filter(buyer=buyer).count() == 1


def test_ten_concurrent_subscribe_clicks_open_one_membership_and_one_checkout(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from checkout import membership_services
    from checkout.models import Membership, MembershipOffer
    from tests.accounts.factories import StripeAccountFactory, UserFactory

    seller = StripeAccountFactory().seller
    offer = MembershipOffer.objects.create(
        seller=seller,
        currency="usd",
        monthly_amount=1900,
        charge_type="direct",
        stripe_account_id=seller.stripe_account.stripe_account_id,
        stripe_product_id="prod_x",
        monthly_price_id="price_x",
    )
    buyer = UserFactory()
    sessions: list[dict] = []
    lock = threading.Lock()

    def slow_create(**kwargs):
        assert not connection.in_atomic_block
        time.sleep(0.05)
        with lock:
            sessions.append(kwargs)
        return stripe_payments.MembershipCheckout(
            id="cs_test_one",
            url="https://checkout.stripe.test/c/pay/cs_test_one",
            status="open",
            mode="subscription",
            expires_at=timezone.now() + timedelta(minutes=30),
            subscription_id="",
            customer_id="",
            setup_intent_id="",
            membership_id=kwargs["membership_id"],
        )

    monkeypatch.setattr(stripe_payments, "membership_checkout_session_create", slow_create)

    errors = run_at_once(
        lambda: membership_services.membership_checkout_start(
            buyer=buyer, offer=offer, interval="month"
        )
    )

    # The clicks that arrive while the first is talking to Stripe are asked to wait.
    assert all(isinstance(e, membership_services.MembershipError) for e in errors), errors
    assert len(sessions) == 1
    assert Membership.objects.filter(buyer=buyer).count() == 1


def test_a_sale_paid_while_the_totals_are_rebuilt_is_in_the_rebuilt_totals(monkeypatch):
    earlier = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    order = OrderFactory(
        course=earlier.course, seller=earlier.seller, charge_type=Order.ChargeType.DESTINATION
    )
    monkeypatch.setattr(
        stripe_payments, "checkout_session_retrieve", lambda **kwargs: paid_session(order)
    )
    summed = threading.Event()
    order_sums = sale_totals._order_sums

    def sums_then_pause():
        rows = list(order_sums())
        summed.set()
        time.sleep(0.5)  # the payment goes through now, unless the rebuild's lock holds it back
        return rows

    monkeypatch.setattr(sale_totals, "_order_sums", sums_then_pause)
    errors: list[BaseException] = []

    def pay():
        try:
            summed.wait(timeout=10)
            order_fulfil(session_id=order.checkout_session_id)
        except BaseException as error:  # asserted on below
            errors.append(error)
        finally:
            connections.close_all()

    payment = threading.Thread(target=pay)
    payment.start()
    sale_totals_rebuild()
    payment.join(timeout=30)
    monkeypatch.setattr(sale_totals, "_order_sums", order_sums)

    assert errors == []
    # Rebuilding again from the orders finds nothing to correct: the payment was not lost.
    assert sale_totals_rebuild() == {"rows": 1, "corrected": 0}
