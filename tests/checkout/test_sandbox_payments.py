"""Buying, fulfilling and refunding against the sandbox: the real SDK, the hosted payment page
(posted like a browser without JavaScript) and the webhooks the sandbox signs and sends."""

import re

import pytest
import requests
from django.core import mail

from checkout.models import Order, StripeCustomer, WebhookEvent
from checkout.services.orders import order_checkout_start, order_fulfil
from checkout.services.refunds import order_refund
from site_config.stripe_client import stripe_client
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.sandbox import (
    deliver_webhooks,
    onboarded_seller,
    submit_hosted_form,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_DISPUTED = "4000000000000259"

CASES = [
    # (course charge type, seller account type, expected order charge type)
    ("auto", "standard", "direct"),
    ("auto", "express", "destination"),
    ("separate", "express", "separate"),
]


def pay(order: Order, card: str, email: str = "buyer@test.example") -> requests.Response:
    return submit_hosted_form(
        requests.Session(),
        order.checkout_url,
        email=email,
        card_number=card,
        card_expiry="12 / 34",
        card_cvc="123",
        card_name="Bea Buyer",
    )


def buy(
    *,
    stripe_sandbox,
    course_charge_type,
    account_type,
    price=4900,
    currency="usd",
    buyer_email="buyer@test.example",
):
    seller = onboarded_seller(account_type=account_type, base_url=stripe_sandbox)
    course = CourseFactory(
        seller=seller,
        charge_type=course_charge_type,
        price_amount=price,
        currency=currency,
        platform_fee_percent="10.00",
    )
    buyer = UserFactory(email=buyer_email)
    return order_checkout_start(buyer=buyer, course=course)


@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_a_paid_checkout_is_fulfilled_by_the_webhook_with_stripes_amounts(
    stripe_sandbox, course_charge_type, account_type, charge_type
):
    order = buy(
        stripe_sandbox=stripe_sandbox,
        course_charge_type=course_charge_type,
        account_type=account_type,
    )
    assert order.charge_type == charge_type
    assert order.checkout_url.startswith(f"{stripe_sandbox}/stripe-sandbox/")

    pay(order, CARD_OK)
    deliver_webhooks()

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert (order.amount, order.fee_amount, order.currency) == (4900, 490, "usd")
    assert order.payment_intent_id.startswith("pi_")
    assert order.charge_id.startswith("ch_")
    event = WebhookEvent.objects.get(type="checkout.session.completed")
    assert event.endpoint == ("connect" if charge_type == "direct" else "platform")
    assert event.processed_at is not None

    client = stripe_client()
    on_account = {"stripe_account": order.stripe_account_id} if charge_type == "direct" else {}
    charge = client.v1.charges.retrieve(order.charge_id, options=on_account)
    assert charge.amount == 4900
    if charge_type in ("direct", "destination"):
        fee = client.v1.application_fees.retrieve(order.application_fee_id)
        assert fee.amount == 490
    if charge_type == "destination":
        transfer = client.v1.transfers.retrieve(order.transfer_id)
        assert (transfer.amount, transfer.destination) == (4900, order.stripe_account_id)
    if charge_type == "separate":
        transfer = client.v1.transfers.retrieve(order.transfer_id)
        assert (transfer.amount, transfer.destination) == (4410, order.stripe_account_id)
        assert transfer.source_transaction == order.charge_id
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["buyer@test.example", order.seller.email]
    )
    customer_account = order.stripe_account_id if charge_type == "direct" else ""
    assert StripeCustomer.objects.get(stripe_account_id=customer_account).customer_id.startswith(
        "cus_"
    )


def test_a_zero_decimal_course_is_charged_in_whole_yen(stripe_sandbox):
    order = buy(
        stripe_sandbox=stripe_sandbox,
        course_charge_type="destination",
        account_type="express",
        price=1505,
        currency="jpy",
    )

    pay(order, CARD_OK)
    deliver_webhooks()

    order.refresh_from_db()
    assert (order.status, order.amount, order.fee_amount) == (Order.Status.PAID, 1505, 151)
    fee = stripe_client().v1.application_fees.retrieve(order.application_fee_id)
    assert (fee.amount, fee.currency) == (151, "jpy")


def test_a_declined_card_shows_an_error_and_nothing_is_paid(stripe_sandbox):
    order = buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="express")

    page = pay(order, CARD_DECLINED)
    deliver_webhooks()
    order_fulfil(session_id=order.checkout_session_id)

    assert "declined" in page.text
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert order.paid_at is None
    assert mail.outbox == []


def test_the_next_purchase_reuses_the_stored_customer(stripe_sandbox):
    first = buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="express")
    pay(first, CARD_OK)
    deliver_webhooks()
    customer = StripeCustomer.objects.get(user=first.buyer, stripe_account_id="")
    other_course = CourseFactory(seller=first.seller, charge_type="auto")

    second = order_checkout_start(buyer=first.buyer, course=other_course)

    session = stripe_client().v1.checkout.sessions.retrieve(second.checkout_session_id)
    assert session.customer == customer.customer_id


def test_an_expired_session_cancels_the_order(stripe_sandbox):
    order = buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="express")

    stripe_client().v1.checkout.sessions.expire(order.checkout_session_id)
    deliver_webhooks()

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_refunds_take_the_money_back_from_the_right_place(
    stripe_sandbox, course_charge_type, account_type, charge_type
):
    order = buy(
        stripe_sandbox=stripe_sandbox,
        course_charge_type=course_charge_type,
        account_type=account_type,
    )
    pay(order, CARD_OK)
    deliver_webhooks()
    order.refresh_from_db()

    order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)
    deliver_webhooks()
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 1000)
    assert order.grants_access

    order_refund(order_id=order.pk, amount=3900, requested_by=order.seller)
    deliver_webhooks()
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.REFUNDED, 4900)
    assert not order.grants_access

    client = stripe_client()
    if charge_type in ("direct", "destination"):
        fee = client.v1.application_fees.retrieve(order.application_fee_id)
        assert fee.amount_refunded == 490
    if charge_type in ("destination", "separate"):
        transfer = client.v1.transfers.retrieve(order.transfer_id)
        expected_reversed = 4900 if charge_type == "destination" else 4410
        assert transfer.amount_reversed == expected_reversed
    refund_notices = [m for m in mail.outbox if m.subject.startswith("Refund for")]
    assert len(refund_notices) == 2


def test_a_disputed_payment_marks_the_order_and_tells_the_seller(stripe_sandbox):
    order = buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="express")

    pay(order, CARD_DISPUTED)

    def disputed():
        # A dispute event delivered before the payment was recorded is refused with a 500 and
        # retried by the sandbox, as Stripe would.
        deliver_webhooks()
        order.refresh_from_db()
        return order.status == Order.Status.DISPUTED

    assert wait_until(disputed, timeout=5)
    assert not order.grants_access
    seller_mail = [m.subject for m in mail.outbox if m.to == [order.seller.email]]
    assert any("disputed" in subject for subject in seller_mail)


def settle_bank_debit(stripe_sandbox: str, order: Order, outcome: str) -> None:
    """Press the inspector's "Bank debit succeeds" / "fails" button for this session."""
    http = requests.Session()
    inspector = http.get(f"{stripe_sandbox}/stripe-sandbox/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', inspector.text).group(1)
    url = f"{stripe_sandbox}/stripe-sandbox/pay/{order.checkout_session_id}/bank-debit/"
    response = http.post(
        url,
        data={"csrfmiddlewaretoken": token, "outcome": outcome},
        headers={"Referer": inspector.url},
        timeout=10,
    )
    response.raise_for_status()


@pytest.mark.parametrize(
    ("outcome", "status", "emails"),
    [("succeeded", Order.Status.PAID, 2), ("failed", Order.Status.FAILED, 0)],
)
def test_a_bank_debit_waits_for_the_async_outcome(stripe_sandbox, outcome, status, emails):
    order = buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="express")

    submit_hosted_form(
        requests.Session(),
        order.checkout_url,
        email="buyer@test.example",
        payment_method_type="us_bank_account",
    )
    deliver_webhooks()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert WebhookEvent.objects.get(type="checkout.session.completed").processed_at is not None

    settle_bank_debit(stripe_sandbox, order, outcome)
    deliver_webhooks()

    order.refresh_from_db()
    assert order.status == status
    assert len(mail.outbox) == emails
