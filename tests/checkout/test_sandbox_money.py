"""Stripe's fee and the two nets per sale, checked against the sandbox's own balances: what
the app says reached the seller and the platform is what their Stripe balances moved by."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from checkout.models import Order, SaleTotal
from checkout.services.orders import order_checkout_start
from checkout.services.refunds import order_refund
from checkout.services.sale_totals import sale_totals_rebuild
from site_config.stripe_client import StripeGatewayError, stripe_client
from stripe_sandbox.resources.payments import refunds_fail_due
from stripe_sandbox.resources.payouts import funds_release_now, payouts_run
from stripe_sandbox.routers import SANDBOX_DATABASE
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.sandbox import deliver_webhooks, inspector_post
from tests.checkout.test_sandbox_payments import CARD_OK, CASES, buy, pay

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def balance(currency: str, stripe_account_id: str = "") -> int:
    options = {"stripe_account": stripe_account_id} if stripe_account_id else {}
    found = stripe_client().v1.balance.retrieve(options=options)
    return sum(
        entry.amount for entry in [*found.available, *found.pending] if entry.currency == currency
    )


def paid(order: Order) -> Order:
    pay(order, CARD_OK)
    deliver_webhooks()
    order.refresh_from_db()
    return order


# 4900 USD at 10 %: the sandbox's Stripe fee is 2.9 % + 30 = 172 cents.
EXPECTED = {
    # charge type: (Stripe fee, seller net, platform net)
    "direct": (172, 4238, 490),
    "destination": (172, 4410, 318),
    "separate": (172, 4410, 318),
}


@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_fee_and_nets_equal_what_stripe_moved_on_each_balance(
    stripe_sandbox, course_charge_type, account_type, charge_type
):
    platform_before = balance("usd")
    order = buy(
        stripe_sandbox=stripe_sandbox,
        course_charge_type=course_charge_type,
        account_type=account_type,
    )
    order = paid(order)

    assert order.charge_type == charge_type
    assert (
        order.stripe_fee_amount,
        order.seller_net_amount,
        order.platform_net_amount,
    ) == EXPECTED[charge_type]
    assert order.seller_net_amount == balance("usd", order.stripe_account_id)
    assert order.platform_net_amount == balance("usd") - platform_before

    order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)
    deliver_webhooks()
    order.refresh_from_db()
    # A tenth of the refund was the platform's fee, given back: 100 cents.
    assert order.fee_returned_amount == 100
    assert order.seller_net_amount == balance("usd", order.stripe_account_id)
    assert order.platform_net_amount == balance("usd") - platform_before

    order_refund(order_id=order.pk, amount=3900, requested_by=order.seller)
    deliver_webhooks()
    order.refresh_from_db()
    assert order.fee_returned_amount == 490
    assert order.seller_net_amount == balance("usd", order.stripe_account_id)
    assert order.platform_net_amount == balance("usd") - platform_before
    # Stripe keeps its processing fee on a refund; whoever bore it is that much down.
    seller_stripe_fee = 172 if charge_type == "direct" else 0
    assert (order.seller_net_amount, order.platform_net_amount) == (
        -seller_stripe_fee,
        -(172 - seller_stripe_fee),
    )

    total = SaleTotal.objects.get(seller=order.seller)
    assert (
        total.stripe_fees,
        total.fees_returned,
        total.seller_net,
        total.platform_net,
    ) == (172, 490, order.seller_net_amount, order.platform_net_amount)
    assert sale_totals_rebuild() == {"rows": 1, "corrected": 0}


def test_a_zero_decimal_sale_has_stripes_fee_in_whole_yen(stripe_sandbox):
    platform_before = balance("jpy")
    order = buy(
        stripe_sandbox=stripe_sandbox,
        course_charge_type="destination",
        account_type="express",
        price=1500,
        currency="jpy",
    )
    order = paid(order)

    # 3.6 % of ¥1,500 is ¥54, with no fixed part; the platform keeps ¥150 − ¥54.
    assert (order.stripe_fee_amount, order.seller_net_amount, order.platform_net_amount) == (
        54,
        1350,
        96,
    )
    assert order.platform_net_amount == balance("jpy") - platform_before
    assert order.seller_net_amount == balance("jpy", order.stripe_account_id)


def test_rebuild_restores_the_new_figures(stripe_sandbox, capsys):
    order = paid(
        buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="standard")
    )
    SaleTotal.objects.filter(seller=order.seller).update(stripe_fees=0, seller_net=1)

    call_command("sale_totals_rebuild")

    assert "1 were wrong or missing" in capsys.readouterr().out
    total = SaleTotal.objects.get(seller=order.seller)
    assert (total.stripe_fees, total.seller_net, total.platform_net) == (172, 4238, 490)


@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_a_refund_made_outside_the_app_shows_on_the_sale_once(
    stripe_sandbox, course_charge_type, account_type, charge_type
):
    order = paid(
        buy(
            stripe_sandbox=stripe_sandbox,
            course_charge_type=course_charge_type,
            account_type=account_type,
        )
    )
    ours = order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)
    on_account = {"stripe_account": order.stripe_account_id} if charge_type == "direct" else {}

    # As the seller or the platform would in Stripe's Dashboard.
    theirs = stripe_client().v1.refunds.create(
        params={"payment_intent": order.payment_intent_id, "amount": 500}, options=on_account
    )
    deliver_webhooks()
    deliver_webhooks()  # a repeated delivery changes nothing

    order.refresh_from_db()
    rows = sorted(order.refunds.values_list("stripe_refund_id", "amount", "status"))
    assert rows == sorted(
        [(ours.stripe_refund_id, 1000, "succeeded"), (theirs.id, 500, "succeeded")]
    )
    assert order.refunded_amount == 1500
    assert order.refunds.get(stripe_refund_id=theirs.id).requested_by is None


CARD_REFUNDS_FAIL = "4000000000005126"


@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_a_refund_that_fails_later_gives_the_amount_back_and_tells_the_seller(
    stripe_sandbox, course_charge_type, account_type, charge_type
):
    order = buy(
        stripe_sandbox=stripe_sandbox,
        course_charge_type=course_charge_type,
        account_type=account_type,
    )
    platform_before = balance("usd")
    pay(order, CARD_REFUNDS_FAIL)
    deliver_webhooks()
    order.refresh_from_db()
    mail.outbox.clear()

    refund = order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)
    deliver_webhooks()
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 1000)

    with transaction.atomic(using=SANDBOX_DATABASE):
        assert refunds_fail_due() == 1  # Stripe: "some time later"
    deliver_webhooks()
    deliver_webhooks()

    order.refresh_from_db()
    refund.refresh_from_db()
    assert (refund.status, refund.failure_message) == (
        "failed",
        "The refund failed: the buyer's card has expired or was cancelled",
    )
    assert (order.status, order.refunded_amount) == (Order.Status.PAID, 0)
    assert order.grants_access
    # The figures still equal what Stripe's balances hold after the failure.
    assert order.seller_net_amount == balance("usd", order.stripe_account_id)
    assert order.platform_net_amount == balance("usd") - platform_before
    assert sale_totals_rebuild()["corrected"] == 0
    failed_notices = [m for m in mail.outbox if m.subject.startswith("A refund for")]
    assert [m.to for m in failed_notices] == [[order.seller.email]]


def test_reconcile_money_finds_no_difference_after_sales_and_refunds(stripe_sandbox, capsys):
    orders = []
    for course_charge_type, account_type, _ in CASES:
        order = paid(
            buy(
                stripe_sandbox=stripe_sandbox,
                course_charge_type=course_charge_type,
                account_type=account_type,
                buyer_email=f"{course_charge_type}-{account_type}@test.example",
            )
        )
        order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)
        orders.append(order)
    full = orders[1]
    order_refund(order_id=full.pk, amount=3900, requested_by=full.seller)
    deliver_webhooks()

    for order in orders:
        call_command("reconcile_money", seller=order.seller.email, since="2020-01-01")
        assert "Compared 1 sales since 2020-01-01 and 1 Stripe accounts" in capsys.readouterr().out

    # A figure that no longer matches Stripe is printed, and the command fails.
    Order.objects.filter(pk=full.pk).update(stripe_fee_amount=100)
    with pytest.raises(SystemExit):
        call_command("reconcile_money", seller=full.seller.email, since="2020-01-01")
    out = capsys.readouterr().out
    assert f"Sale #{full.pk}: stripe_fee_amount is 100 here, 172 at Stripe." in out
    assert out.strip().endswith("1 differences.")


def test_a_failed_transfer_reversal_is_retried_until_it_succeeds(stripe_sandbox, client):
    order = paid(
        buy(stripe_sandbox=stripe_sandbox, course_charge_type="separate", account_type="express")
    )
    platform_before = balance("usd") - order.platform_net_amount
    # The seller's money has gone to their bank: nothing is left to take back.
    with transaction.atomic(using=SANDBOX_DATABASE):
        funds_release_now(account=order.stripe_account_id)
        payouts_run(account=order.stripe_account_id)
    assert balance("usd", order.stripe_account_id) == 0

    with pytest.raises(StripeGatewayError, match="taking the seller's share back failed"):
        order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)
    deliver_webhooks()

    refund = order.refunds.get()
    assert (refund.status, refund.transfer_reversal_id) == ("succeeded", "")
    client.force_login(order.seller)
    detail = reverse("dashboards:sale-detail", args=[order.pk])
    assert "taking the seller&#x27;s share back failed" in client.get(detail).content.decode()
    call_command("reconcile_orders", stdout=StringIO())
    refund.refresh_from_db()
    assert (refund.transfer_reversal_id, refund.transfer_reversal_attempts) == ("", 2)

    # A later sale puts money on the seller's balance again; the next run takes the share back.
    course = CourseFactory(
        seller=order.seller, charge_type="separate", price_amount=4900, platform_fee_percent="10"
    )
    second = order_checkout_start(buyer=UserFactory(email="second@test.example"), course=course)
    second = paid(second)
    out = StringIO()
    call_command("reconcile_orders", stdout=out)

    assert "Sellers' shares of refunds taken back: 1; still failing: 0." in out.getvalue()
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.transfer_reversal_id.startswith("trr_")
    assert refund.failure_message == ""
    assert order.transfer_reversed_amount == 900
    assert "share back failed" not in client.get(detail).content.decode()
    transfer = stripe_client().v1.transfers.retrieve(order.transfer_id)
    assert transfer.amount_reversed == 900  # once, though it was tried three times
    paid_out = 4410
    assert order.seller_net_amount + second.seller_net_amount == (
        balance("usd", order.stripe_account_id) + paid_out
    )
    assert order.platform_net_amount + second.platform_net_amount == (
        balance("usd") - platform_before
    )
    call_command("reconcile_orders", stdout=out)  # nothing left to retry
    assert (
        transfer.amount_reversed
        == stripe_client().v1.transfers.retrieve(order.transfer_id).amount_reversed
    )


def another_sale(order: Order, buyer_email: str) -> Order:
    """A second sale by the same seller, of a course sold the same way."""
    course = CourseFactory(
        seller=order.seller,
        charge_type=order.course.charge_type,
        price_amount=4900,
        platform_fee_percent="10",
    )
    return paid(order_checkout_start(buyer=UserFactory(email=buyer_email), course=course))


@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_reconcile_money_agrees_with_stripe_after_refunds_a_dispute_and_a_payout(
    stripe_sandbox, capsys, course_charge_type, account_type, charge_type
):
    first = paid(
        buy(
            stripe_sandbox=stripe_sandbox,
            course_charge_type=course_charge_type,
            account_type=account_type,
        )
    )
    second = another_sale(first, "second@test.example")
    third = another_sale(first, "third@test.example")
    order_refund(order_id=first.pk, amount=1000, requested_by=first.seller)
    order_refund(order_id=second.pk, amount=4900, requested_by=first.seller)
    owner = {"stripe_account": first.stripe_account_id} if charge_type == "direct" else {}
    inspector_post(stripe_sandbox, f"charges/{third.charge_id}/dispute/")
    [dispute] = stripe_client().v1.disputes.list(params={"charge": third.charge_id}, options=owner)
    stripe_client().v1.disputes.close(dispute.id, options=owner)
    with transaction.atomic(using=SANDBOX_DATABASE):
        funds_release_now(account=first.stripe_account_id)
        [payout] = payouts_run(account=first.stripe_account_id)
    deliver_webhooks()
    third.refresh_from_db()
    assert (third.status, third.dispute_fee_amount) == (Order.Status.DISPUTE_LOST, 1500)
    assert payout.data["amount"] > 0

    call_command("reconcile_money", seller=first.seller.email, since="2020-01-01")
    out = capsys.readouterr().out
    assert "Compared 3 sales since 2020-01-01 and 1 Stripe accounts with their payouts" in out
    assert out.strip().endswith(": 0 differences.")

    # A dispute fee the app lost track of is found, with the net it changed: the seller's (and
    # so their account's total) on a direct charge, the platform's otherwise.
    third.dispute_fee_amount = 0
    third.money_recompute()
    third.save()
    with pytest.raises(SystemExit):
        call_command("reconcile_money", seller=first.seller.email, since="2020-01-01")
    out = capsys.readouterr().out
    assert f"Sale #{third.pk}: dispute_fee_amount is 0 here, 1500 at Stripe." in out
    net = "seller_net_amount" if charge_type == "direct" else "platform_net_amount"
    assert f"Sale #{third.pk}: {net} is" in out
    account_line = f"Account {first.stripe_account_id} (USD): sales netted"
    assert (account_line in out) == (charge_type == "direct")
    assert out.strip().endswith(f": {3 if charge_type == 'direct' else 2} differences.")
