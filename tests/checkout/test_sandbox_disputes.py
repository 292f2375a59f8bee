"""Disputes against the sandbox, per charge type: opened from the inspector, decided through
Stripe's API, and the sale's status, figures and emails follow; the money the app says each side
lost is what Stripe's balances moved."""

import pytest
from django.core import mail
from django.test import override_settings

from checkout.models import Order, SaleTotal
from checkout.services.sale_totals import sale_totals_rebuild
from site_config.stripe_client import stripe_client
from tests.checkout.conftest import dispute_state, event_payload, sign
from tests.checkout.factories import PaidOrderFactory
from tests.checkout.sandbox import deliver_webhooks, inspector_post
from tests.checkout.test_sandbox_money import balance, paid
from tests.checkout.test_sandbox_payments import CASES, buy

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

DISPUTE_FEE = 1500


def owner_options(order: Order) -> dict:
    """A dispute lives with its charge: on the seller's account for direct charges."""
    return {"stripe_account": order.stripe_account_id} if order.charge_type == "direct" else {}


def assert_figures_equal_balances(order: Order, platform_before: int) -> None:
    assert order.seller_net_amount == balance("usd", order.stripe_account_id)
    assert order.platform_net_amount == balance("usd") - platform_before
    total = SaleTotal.objects.get(seller=order.seller)
    assert (total.seller_net, total.platform_net) == (
        order.seller_net_amount,
        order.platform_net_amount,
    )
    assert sale_totals_rebuild()["corrected"] == 0


@pytest.mark.parametrize("outcome", ["won", "lost"])
@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_a_dispute_is_opened_and_decided_and_the_sale_follows(
    stripe_sandbox, course_charge_type, account_type, charge_type, outcome
):
    platform_before = balance("usd")
    order = paid(
        buy(
            stripe_sandbox=stripe_sandbox,
            course_charge_type=course_charge_type,
            account_type=account_type,
        )
    )
    before = (order.seller_net_amount, order.platform_net_amount)
    mail.outbox.clear()

    inspector_post(stripe_sandbox, f"charges/{order.charge_id}/dispute/")
    deliver_webhooks()
    deliver_webhooks()  # a repeated delivery changes nothing

    order.refresh_from_db()
    assert (order.status, order.dispute_status) == (Order.Status.DISPUTED, "needs_response")
    assert not order.grants_access
    assert (order.dispute_amount, order.dispute_fee_amount) == (4900, DISPUTE_FEE)
    # The charge's owner is out the amount and the fee: the seller on a direct charge only.
    loser = 0 if charge_type == "direct" else 1
    nets = list(before)
    nets[loser] -= 4900 + DISPUTE_FEE
    assert (order.seller_net_amount, order.platform_net_amount) == tuple(nets)
    assert_figures_equal_balances(order, platform_before)

    disputes = stripe_client().v1.disputes
    [dispute] = disputes.list(params={"charge": order.charge_id}, options=owner_options(order))
    if outcome == "won":
        # Stripe's test evidence that wins a dispute.
        disputes.update(
            dispute.id,
            params={"evidence": {"uncategorized_text": "winning_evidence"}},
            options=owner_options(order),
        )
    else:
        disputes.close(dispute.id, options=owner_options(order))
    deliver_webhooks()
    deliver_webhooks()

    order.refresh_from_db()
    if outcome == "won":
        assert (order.status, order.dispute_status) == (Order.Status.PAID, "won")
        assert order.grants_access
        # The amount comes back; Stripe keeps its dispute fee.
        assert (order.dispute_amount, order.dispute_fee_amount) == (0, DISPUTE_FEE)
        nets = list(before)
        nets[loser] -= DISPUTE_FEE
    else:
        assert (order.status, order.dispute_status) == (Order.Status.DISPUTE_LOST, "lost")
        assert not order.grants_access
        assert (order.dispute_amount, order.dispute_fee_amount) == (4900, DISPUTE_FEE)
    assert (order.seller_net_amount, order.platform_net_amount) == tuple(nets)
    assert_figures_equal_balances(order, platform_before)

    seller_mail = [m.subject for m in mail.outbox if m.to == [order.seller.email]]
    decided = "lost" if outcome == "lost" else "closed in your favour"
    assert seller_mail == [
        f"A payment for “{order.item_title}” is disputed",
        f"A dispute on “{order.item_title}” was {decided}",
    ]


def test_the_inspector_decides_a_dispute_too(stripe_sandbox):
    order = paid(
        buy(stripe_sandbox=stripe_sandbox, course_charge_type="auto", account_type="express")
    )
    inspector_post(stripe_sandbox, f"charges/{order.charge_id}/dispute/")
    [dispute] = stripe_client().v1.disputes.list(params={"charge": order.charge_id})

    inspector_post(stripe_sandbox, f"disputes/{dispute.id}/close/", outcome="won")
    deliver_webhooks()

    order.refresh_from_db()
    assert (order.status, order.dispute_amount, order.dispute_fee_amount) == (
        Order.Status.PAID,
        0,
        DISPUTE_FEE,
    )
    # A decided dispute cannot be decided again.
    again = stripe_client().v1.disputes
    with pytest.raises(Exception, match="already closed"):
        again.close(dispute.id)


@override_settings(STRIPE_CONNECT_WEBHOOK_SECRET="whsec_connect_test")
def test_a_dispute_event_from_the_wrong_endpoint_changes_nothing(client, stripe_disputes):
    """A destination charge lives on the platform: its dispute is heard on the platform
    endpoint, never from a connected account."""
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    stripe_disputes["dp_9"] = dispute_state(dispute_id="dp_9", charge_id=order.charge_id)
    payload = event_payload(
        "charge.dispute.created",
        {"id": "dp_9", "object": "dispute", "charge": order.charge_id},
        event_id="evt_wrong_side",
        account=order.stripe_account_id,
    )

    response = client.post(
        "/checkout/webhook/connect/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_connect_test"),
    )

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.dispute_amount) == (Order.Status.PAID, 0)
