"""A seller's payouts against the sandbox: funds wait, a payout pays them, the Payouts page
shows it and the sales it paid out, and a payout to the failing test bank account fails."""

import time

import pytest
from django.db import transaction
from django.urls import reverse

from site_config.stripe_client import stripe_client
from stripe_sandbox.resources.payouts import funds_release_now, payouts_run
from stripe_sandbox.routers import SANDBOX_DATABASE
from tests.checkout.sandbox import deliver_webhooks
from tests.checkout.test_sandbox_payments import CARD_OK, buy, pay

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

DAY = 86_400


def sandbox(action, account: str):
    """What Stripe does on its own timer, done now (the inspector's buttons do the same)."""
    with transaction.atomic(using=SANDBOX_DATABASE):
        action(account=account)
    deliver_webhooks()


@pytest.mark.parametrize(
    ("course_charge_type", "account_type", "net"),
    [
        ("auto", "standard", "$42.38"),
        ("auto", "express", "$44.10"),
        ("separate", "express", "$44.10"),
    ],
    ids=["direct", "destination", "separate"],
)
def test_a_sale_is_paid_out_and_the_payout_lists_it(
    client, stripe_sandbox, course_charge_type, account_type, net
):
    order = buy(
        stripe_sandbox=stripe_sandbox,
        course_charge_type=course_charge_type,
        account_type=account_type,
    )
    pay(order, CARD_OK)
    deliver_webhooks()
    order.refresh_from_db()
    client.force_login(order.seller)

    page = client.get(reverse("dashboards:payouts")).content.decode()
    assert "No payouts yet" in page
    assert net in page  # on the way to available

    sandbox(funds_release_now, order.stripe_account_id)
    sandbox(payouts_run, order.stripe_account_id)

    page = client.get(reverse("dashboards:payouts")).content.decode()
    assert 'badge-ok">Paid<' in page
    assert net in page
    payout_url = page.split('href="/dashboard/payouts/', 1)[1].split('"', 1)[0]
    detail = client.get(f"/dashboard/payouts/{payout_url}").content.decode()
    assert f"#{order.pk}" in detail
    assert net in detail


def test_funds_wait_their_delay_and_are_paid_out_when_time_moves(client, stripe_sandbox):
    order = buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="express")
    pay(order, CARD_OK)
    deliver_webhooks()
    order.refresh_from_db()
    account = {"stripe_account": order.stripe_account_id}
    clocks = stripe_client().v1.test_helpers.test_clocks
    start = int(time.time())
    clock = clocks.create(params={"frozen_time": start})

    # A day on, the sale's money is still within the account's two days' delay.
    clocks.advance(clock.id, params={"frozen_time": start + DAY})
    found = stripe_client().v1.balance.retrieve(options=account)
    assert ([e.amount for e in found.available], [e.amount for e in found.pending]) == (
        [0],
        [4410],
    )
    assert list(stripe_client().v1.payouts.list(options=account)) == []

    # Past the delay, Stripe's daily payout takes it to the bank: no button pressed.
    clocks.advance(clock.id, params={"frozen_time": start + 3 * DAY})
    deliver_webhooks()
    [payout] = stripe_client().v1.payouts.list(options=account)
    assert (payout.amount, payout.status, payout.automatic) == (4410, "paid", True)
    client.force_login(order.seller)
    page = client.get(reverse("dashboards:payouts")).content.decode()
    assert 'badge-ok">Paid<' in page
