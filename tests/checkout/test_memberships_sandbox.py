"""Memberships against the sandbox: the real SDK, the hosted Checkout page posted like a
browser, and the webhooks the sandbox signs and sends to the app's endpoints."""

import pytest
import requests
from django.core import mail

from accounts.stripe_connect import stripe_client
from checkout import membership_selectors, membership_services, services
from checkout.models import Membership, Order, SaleTotal, WebhookEvent
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.sandbox import (
    deliver_webhooks,
    onboarded_seller,
    submit_hosted_form,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CARD_OK = "4242424242424242"
CARD_FAILS_ON_RENEWAL = "4000000000000341"


def pay(membership: Membership, card: str = CARD_OK) -> requests.Response:
    return submit_hosted_form(
        requests.Session(),
        membership.checkout_url,
        email=membership.buyer.email,
        card_number=card,
        card_expiry="12 / 34",
        card_cvc="123",
        card_name="Bea Buyer",
    )


def subscribe(*, stripe_sandbox, account_type="express", card=CARD_OK, monthly=1900):
    seller = onboarded_seller(account_type=account_type, base_url=stripe_sandbox)
    course = CourseFactory(seller=seller, is_published=True, currency="usd")
    offer = membership_services.membership_offer_save(
        seller=seller, currency="usd", monthly_amount=monthly, yearly_amount=None
    )
    buyer = UserFactory(email="member@test.example")
    membership = membership_services.membership_checkout_start(
        buyer=buyer, offer=offer, interval="month"
    )
    pay(membership, card)
    deliver_webhooks()
    membership.refresh_from_db()
    return membership, course


def _on(membership: Membership) -> dict:
    return (
        {"stripe_account": membership.stripe_account_id}
        if membership.charge_type == "direct"
        else {}
    )


@pytest.mark.parametrize(
    ("account_type", "charge_type", "seller_net"),
    [
        # 19.00 with a 1.90 fee; the Stripe fee (0.85) is paid by whoever owns the charge.
        ("standard", "direct", 1900 - 190 - 85),
        ("express", "destination", 1900 - 190),
    ],
)
def test_subscribing_starts_a_membership_and_records_its_first_invoice_as_a_sale(
    stripe_sandbox, account_type, charge_type, seller_net
):
    seller = onboarded_seller(account_type=account_type, base_url=stripe_sandbox)
    course = CourseFactory(seller=seller, is_published=True)
    other_course = CourseFactory(seller=seller, is_published=True)
    offer = membership_services.membership_offer_save(
        seller=seller, currency="usd", monthly_amount=1900, yearly_amount=None
    )
    client = stripe_client()
    on_seller = {"stripe_account": seller.stripe_account.stripe_account_id}
    price_on = on_seller if charge_type == "direct" else {}
    price = client.v1.prices.retrieve(offer.monthly_price_id, options=price_on)
    assert (price.unit_amount, price.currency, price.recurring.interval) == (1900, "usd", "month")
    balance_before = client.v1.balance.retrieve(options=on_seller).available
    buyer = UserFactory(email="member@test.example")

    membership = membership_services.membership_checkout_start(
        buyer=buyer, offer=offer, interval="month"
    )
    assert membership.charge_type == charge_type
    assert membership.checkout_url.startswith(f"{stripe_sandbox}/stripe-sandbox/")
    assert not membership_selectors.membership_unlocks_course(course=course, user=buyer)
    pay(membership)
    deliver_webhooks()

    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.subscription_id.startswith("sub_")
    subscription = client.v1.subscriptions.retrieve(
        membership.subscription_id, options=_on(membership)
    )
    assert float(subscription.application_fee_percent) == 10.0
    if charge_type == "destination":
        assert subscription.transfer_data.destination == seller.stripe_account.stripe_account_id
    else:
        assert subscription.transfer_data is None
    # Every published course of the seller opens, not just the one the buyer came from.
    assert services.selectors.course_access_allowed(course=other_course, user=buyer)

    sale = Order.objects.get(membership=membership)
    assert (sale.amount, sale.fee_amount, sale.currency, sale.charge_type) == (
        1900,
        190,
        "usd",
        charge_type,
    )
    assert sale.status == Order.Status.PAID and sale.course is None
    assert sale.charge_id.startswith("ch_")
    fee = client.v1.application_fees.retrieve(sale.application_fee_id)
    assert fee.amount == 190
    totals = SaleTotal.objects.get(seller=seller, course=None)
    assert (totals.count, totals.gross, totals.fees) == (1, 1900, 190)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([buyer.email, seller.email])
    # The money landed on the seller's account.
    balance_after = client.v1.balance.retrieve(options=on_seller).available
    gained = sum(b.amount for b in balance_after if b.currency == "usd") - sum(
        b.amount for b in balance_before if b.currency == "usd"
    )
    assert gained == seller_net
    endpoint = "connect" if charge_type == "direct" else "platform"
    assert {e.endpoint for e in WebhookEvent.objects.filter(type="invoice.paid")} == {endpoint}
