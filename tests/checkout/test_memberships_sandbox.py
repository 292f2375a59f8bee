"""Memberships against the sandbox: the real SDK, the hosted Checkout page posted like a
browser, and the webhooks the sandbox signs and sends to the app's endpoints."""

import re

import pytest
import requests
from django.core import mail
from django.urls import reverse

from checkout import membership_selectors, membership_services, selectors
from checkout.models import Membership, Order, SaleTotal, WebhookEvent
from checkout.services.refunds import order_refund
from checkout.services.sale_totals import sale_totals_rebuild
from site_config.stripe_client import stripe_client
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.sandbox import (
    advance_subscription,
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


def _usd_held(balance) -> int:
    """A seller's USD in Stripe, available or still pending (takings wait `delay_days`)."""
    return sum(b.amount for b in [*balance.available, *balance.pending] if b.currency == "usd")


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
    balance_before = _usd_held(client.v1.balance.retrieve(options=on_seller))
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
    assert selectors.course_access_allowed(course=other_course, user=buyer)

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
    gained = _usd_held(client.v1.balance.retrieve(options=on_seller)) - balance_before
    assert gained == seller_net
    # The sale's own figures say the same, Stripe's fee included (read from the invoice's charge).
    assert sale.seller_net_amount == seller_net
    endpoint = "connect" if charge_type == "direct" else "platform"
    assert {e.endpoint for e in WebhookEvent.objects.filter(type="invoice.paid")} == {endpoint}


def _post_event(base_url: str, event_type: str, data_object: dict, *, account: str = ""):
    """Send the app an event as Stripe would (signed), e.g. a late or repeated one."""
    import uuid

    from tests.checkout.conftest import event_payload, sign

    secret = "whsec_sandbox_connect" if account else "whsec_sandbox_platform"
    path = "/checkout/webhook/connect/" if account else "/checkout/webhook/"
    payload = event_payload(
        event_type, data_object, event_id=f"evt_test_{uuid.uuid4().hex[:20]}", account=account
    )
    return requests.post(
        f"{base_url}{path}",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret), "Content-Type": "application/json"},
        timeout=10,
    )


def test_a_renewal_extends_the_period_and_is_a_second_sale(stripe_sandbox):
    membership, course = subscribe(stripe_sandbox=stripe_sandbox)
    first_end = membership.current_period_end

    advance_subscription(stripe_sandbox, membership.subscription_id)
    deliver_webhooks()

    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.current_period_end > first_end
    sales = Order.objects.filter(membership=membership).order_by("id")
    assert [(s.amount, s.fee_amount) for s in sales] == [(1900, 190), (1900, 190)]
    assert len({s.invoice_id for s in sales}) == 2
    totals = SaleTotal.objects.get(seller=membership.seller, course=None)
    assert (totals.count, totals.gross, totals.fees) == (2, 3800, 380)
    assert sale_totals_rebuild()["corrected"] == 0


def test_repeated_and_late_events_change_nothing(stripe_sandbox):
    membership, course = subscribe(stripe_sandbox=stripe_sandbox)
    sale = Order.objects.get(membership=membership)
    mails = len(mail.outbox)

    # The same invoice announced again under a new event id: still one sale, no new email.
    response = _post_event(stripe_sandbox, "invoice.paid", {"id": sale.invoice_id})
    assert response.status_code == 200
    assert Order.objects.filter(membership=membership).count() == 1
    assert len(mail.outbox) == mails

    stripe_client().v1.subscriptions.cancel(membership.subscription_id)
    deliver_webhooks()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELED
    assert not selectors.course_access_allowed(course=course, user=membership.buyer)

    # An `updated` event from before the deletion, arriving late, does not bring it back.
    response = _post_event(
        stripe_sandbox,
        "customer.subscription.updated",
        {"id": membership.subscription_id, "object": "subscription", "status": "active"},
    )
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELED


def test_a_failed_renewal_is_past_due_with_grace_then_ends(stripe_sandbox, settings):
    membership, course = subscribe(stripe_sandbox=stripe_sandbox, card=CARD_FAILS_ON_RENEWAL)
    mail.outbox.clear()

    advance_subscription(stripe_sandbox, membership.subscription_id)
    deliver_webhooks()

    membership.refresh_from_db()
    assert membership.status == Membership.Status.PAST_DUE
    assert membership.past_due_since is not None
    assert Order.objects.filter(membership=membership).count() == 1  # no sale for the failure
    # Within the grace period the courses stay open.
    assert selectors.course_access_allowed(course=course, user=membership.buyer)
    [notice] = mail.outbox
    assert notice.to == [membership.buyer.email]
    assert "Update your card" in notice.body or "update your card" in notice.body.lower()
    assert f"{settings.MEMBERSHIP_GRACE_DAYS} days" in notice.body

    # After the grace period access stops, even before Stripe gives up.
    Membership.objects.filter(pk=membership.pk).update(
        past_due_since=membership.past_due_since - membership_selectors.membership_grace_period()
    )
    assert not selectors.course_access_allowed(course=course, user=membership.buyer)

    # Stripe retries on its schedule (the inspector's "Retry failed payment"); when the last
    # attempt fails it ends the subscription. The buyer was emailed once for the invoice.
    for _ in range(3):
        advance_subscription(stripe_sandbox, membership.subscription_id)
    deliver_webhooks()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELED
    assert membership.ended_at is not None
    assert len(mail.outbox) == 1
    assert Order.objects.filter(membership=membership).count() == 1


def test_cancel_keeps_access_until_the_period_ends_and_resume_takes_it_back(stripe_sandbox):
    membership, course = subscribe(stripe_sandbox=stripe_sandbox)
    client = stripe_client()

    membership = membership_services.membership_cancel_set(membership=membership, cancel=True)
    assert membership.cancel_at_period_end is True
    assert client.v1.subscriptions.retrieve(membership.subscription_id).cancel_at_period_end
    deliver_webhooks()
    assert selectors.course_access_allowed(course=course, user=membership.buyer)

    membership = membership_services.membership_cancel_set(membership=membership, cancel=False)
    assert not client.v1.subscriptions.retrieve(membership.subscription_id).cancel_at_period_end
    membership_services.membership_cancel_set(membership=membership, cancel=True)

    advance_subscription(stripe_sandbox, membership.subscription_id)
    deliver_webhooks()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELED
    assert not selectors.course_access_allowed(course=course, user=membership.buyer)
    assert Order.objects.filter(membership=membership).count() == 1  # nothing charged again


def test_a_double_click_opens_one_checkout_and_a_member_cannot_subscribe_again(stripe_sandbox):
    seller = onboarded_seller(account_type="express", base_url=stripe_sandbox)
    offer = membership_services.membership_offer_save(
        seller=seller, currency="usd", monthly_amount=1900, yearly_amount=19000
    )
    buyer = UserFactory()

    first = membership_services.membership_checkout_start(
        buyer=buyer, offer=offer, interval="month"
    )
    second = membership_services.membership_checkout_start(
        buyer=buyer, offer=offer, interval="month"
    )
    assert second.pk == first.pk and second.checkout_session_id == first.checkout_session_id
    assert Membership.objects.filter(buyer=buyer).count() == 1
    with pytest.raises(membership_services.MembershipError):
        membership_services.membership_checkout_start(buyer=seller, offer=offer, interval="month")

    pay(first)
    deliver_webhooks()
    with pytest.raises(membership_services.AlreadyMember):
        membership_services.membership_checkout_start(buyer=buyer, offer=offer, interval="year")


def test_a_new_card_pays_the_failed_renewal_and_reactivates_the_membership(stripe_sandbox):
    membership, course = subscribe(stripe_sandbox=stripe_sandbox, card=CARD_FAILS_ON_RENEWAL)
    advance_subscription(stripe_sandbox, membership.subscription_id)
    deliver_webhooks()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PAST_DUE
    url = membership_services.membership_card_update_start(membership=membership)
    page = requests.get(url, timeout=10)
    assert "Save a card" in page.text and "Nothing is charged now" in page.text

    # A card that declines at once is refused on the page; nothing changes.
    refused = submit_hosted_form(
        requests.Session(),
        url,
        card_number="4000000000000002",
        card_expiry="12 / 34",
        card_cvc="123",
        card_name="Bea Buyer",
        email=membership.buyer.email,
    )
    assert "declined" in refused.text
    submit_hosted_form(
        requests.Session(),
        url,
        card_number=CARD_OK,
        card_expiry="12 / 34",
        card_cvc="123",
        card_name="Bea Buyer",
        email=membership.buyer.email,
    )
    deliver_webhooks()

    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.past_due_since is None
    subscription = stripe_client().v1.subscriptions.retrieve(membership.subscription_id)
    assert subscription.status == "active"
    sales = Order.objects.filter(membership=membership).order_by("id")
    assert [s.amount for s in sales] == [1900, 1900]  # the failed renewal, now paid, is a sale
    assert selectors.course_access_allowed(course=course, user=membership.buyer)


@pytest.mark.parametrize(
    ("account_type", "seller_gives_back"),
    [("standard", 1900 - 190), ("express", 1900 - 190)],
)
def test_refunding_a_membership_invoice_takes_the_money_back_like_an_order(
    stripe_sandbox, account_type, seller_gives_back
):
    membership, course = subscribe(stripe_sandbox=stripe_sandbox, account_type=account_type)
    sale = Order.objects.get(membership=membership)
    client = stripe_client()
    on_seller = {"stripe_account": membership.stripe_account_id}

    def seller_usd() -> int:
        balance = client.v1.balance.retrieve(options=on_seller).available
        return sum(b.amount for b in balance if b.currency == "usd")

    before = seller_usd()
    order_refund(order_id=sale.pk, amount=1900, requested_by=membership.seller)
    deliver_webhooks()

    sale.refresh_from_db()
    assert (sale.status, sale.refunded_amount) == (Order.Status.REFUNDED, 1900)
    # Direct: refunded from the seller's account, the fee returned; destination: the transfer
    # reversed and the fee returned. Either way the seller gives back price minus fee.
    assert before - seller_usd() == seller_gives_back
    fee = client.v1.application_fees.retrieve(sale.application_fee_id)
    assert fee.amount_refunded == 190
    totals = SaleTotal.objects.get(seller=membership.seller, course=None)
    assert (totals.count, totals.gross, totals.refunds) == (1, 1900, 1900)
    assert sale_totals_rebuild()["corrected"] == 0
    # A refunded invoice does not end the membership: the subscription decides that.
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


def test_reconcile_repairs_a_membership_whose_webhooks_never_came(stripe_sandbox):
    from io import StringIO

    from django.core.management import call_command

    seller = onboarded_seller(account_type="express", base_url=stripe_sandbox)
    offer = membership_services.membership_offer_save(
        seller=seller, currency="usd", monthly_amount=1900, yearly_amount=None
    )
    membership = membership_services.membership_checkout_start(
        buyer=UserFactory(), offer=offer, interval="month"
    )
    pay(membership)  # no webhook is delivered

    out = StringIO()
    call_command("reconcile_memberships", stdout=out)

    assert "1 checked, 0 could not be checked" in out.getvalue()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert Order.objects.filter(membership=membership, amount=1900).count() == 1
    # Webhooks arriving afterwards change nothing.
    deliver_webhooks()
    assert Order.objects.filter(membership=membership).count() == 1


def test_an_offer_saved_without_stripe_gets_its_prices_at_the_first_subscribe(stripe_sandbox):
    """The demo data saves the offer while no sandbox is serving; Subscribe makes the prices."""
    from checkout.models import MembershipOffer

    seller = onboarded_seller(account_type="standard", base_url=stripe_sandbox)
    offer = MembershipOffer.objects.create(
        seller=seller, currency="usd", monthly_amount=1900, yearly_amount=19000
    )
    membership = membership_services.membership_checkout_start(
        buyer=UserFactory(), offer=offer, interval="year"
    )
    offer.refresh_from_db()
    assert offer.charge_type == "direct"
    assert offer.stripe_account_id == seller.stripe_account.stripe_account_id
    price = stripe_client().v1.prices.retrieve(
        offer.yearly_price_id, options={"stripe_account": offer.stripe_account_id}
    )
    assert (price.unit_amount, price.recurring.interval) == (19000, "year")
    assert membership.price_id == offer.yearly_price_id
    pay(membership)
    deliver_webhooks()
    assert Order.objects.get(membership=membership).amount == 19000


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain-form"])
def test_subscribing_from_the_sellers_page_opens_their_courses(client, stripe_sandbox, htmx):
    seller = onboarded_seller(account_type="standard", base_url=stripe_sandbox)
    course = CourseFactory(seller=seller, is_published=True, currency="usd")
    offer = membership_services.membership_offer_save(
        seller=seller, currency="usd", monthly_amount=1900, yearly_amount=19000
    )
    buyer = UserFactory(email="member@test.example")
    client.force_login(buyer)
    seller_page = reverse("sellers:detail", args=[seller.pk])

    page = client.get(seller_page).content.decode()
    [action] = re.findall(r'<form method="post" action="([^"]+/subscribe/)"', page)
    assert action == reverse("checkout:membership-subscribe", args=[offer.pk])
    [back] = re.findall(r'name="next" value="([^"]+)"', page)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(action, {"interval": "year", "next": back}, headers=headers)

    membership = Membership.objects.get(buyer=buyer)
    checkout_url = response["HX-Redirect"] if htmx else response["Location"]
    assert checkout_url == membership.checkout_url
    assert checkout_url.startswith(f"{stripe_sandbox}/stripe-sandbox/")
    pay(membership)
    deliver_webhooks()

    membership.refresh_from_db()
    assert (membership.status, membership.interval, membership.amount) == ("active", "year", 19000)
    assert selectors.course_access_allowed(course=course, user=buyer)
    sale = Order.objects.get(membership=membership)
    assert (sale.amount, sale.fee_amount, sale.charge_type) == (19000, 1900, "direct")
    again = client.get(back).content.decode()
    assert "You're a member" in again and action not in again
