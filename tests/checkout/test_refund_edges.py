"""Edges of the refund and dispute services: a reversal retried or racing Stripe's refund
events, and what the seller and the operator read when a dispute is ignored or decided."""

import logging

import pytest
from django.core import mail

from checkout import stripe_payments
from checkout.models import Order, OrderEmail, Refund
from checkout.services.refunds import (
    REVERSAL_FAILED,
    order_apply_dispute,
    order_apply_refunds,
    order_refund,
    refund_reversals_retry,
)
from site_config.stripe_client import StripeGatewayError
from tests.checkout.conftest import dispute_state
from tests.checkout.factories import PaidOrderFactory, RefundFactory

pytestmark = pytest.mark.django_db


def _separate_sale() -> Order:
    # Net 800: a refund of 500 takes 400 back from the seller's transfer.
    return PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_sep", amount=1000, fee_amount=200
    )


def _stripe_confirms_refund_meanwhile(gateway, *, order: Order, refund_id: int) -> None:
    """Stripe's `charge.refunded` event, handled while the reversal request is still waiting:
    the refund row now says "succeeded"."""
    gateway.amount_refunded = 500
    gateway.refunds = (
        stripe_payments.RefundState(
            id=f"re_{refund_id}",
            amount=500,
            currency=order.currency,
            status="succeeded",
            failure_reason="",
            refund_id=refund_id,
        ),
    )
    order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")


# --- Taking the seller's share back -----------------------------------------------------------


def test_a_retry_asks_stripe_for_the_reversal_made_for_this_refund_not_another(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_seller")
    refund = RefundFactory(
        order=order,
        transfer_reversal_amount=900,
        transfer_reversal_attempts=1,
        failure_message=REVERSAL_FAILED.format(reason="Stripe could not be reached."),
    )
    # Stripe finds a reversal by the refund id in its metadata: only this refund's id finds it.
    made = {refund.pk: stripe_payments.TransferResult(id="trr_earlier", amount=900)}
    gateway._transfer_reversal_find = lambda **kwargs: made.get(kwargs["refund_id"])

    assert refund_reversals_retry() == {"reversed": 1, "still_failing": 0}

    assert gateway.kwargs("transfer_reversal_find") == {
        "refund_id": refund.pk,
        "transfer_id": "tr_seller",
    }
    # Taking the seller's share back twice would take 1,800 for a 900 share.
    assert "transfer_reversal_create" not in gateway.names()
    refund.refresh_from_db()
    assert refund.transfer_reversal_id == "trr_earlier"


def test_a_failed_reversal_tells_the_seller_stripes_reason_and_keeps_stripes_refund_status(
    gateway,
):
    order = _separate_sale()
    gateway._refund_create = lambda **kwargs: stripe_payments.RefundResult(
        id=f"re_{kwargs['refund_id']}", status="pending", amount=kwargs["amount"]
    )

    def refuse_after_stripe_confirmed_the_refund(**kwargs):
        _stripe_confirms_refund_meanwhile(gateway, order=order, refund_id=kwargs["refund_id"])
        raise StripeGatewayError("Stripe could not be reached.")

    gateway._transfer_reversal_create = refuse_after_stripe_confirmed_the_refund

    with pytest.raises(StripeGatewayError) as failed:
        order_refund(order_id=order.pk, amount=500, requested_by=order.seller)

    words = (
        "Refunded, but taking the seller's share back failed: Stripe could not be reached. "
        "It is retried."
    )
    assert str(failed.value) == words
    refund = Refund.objects.get()
    assert (refund.failure_message, refund.transfer_reversal_attempts) == (words, 1)
    assert (refund.transfer_reversal_amount, refund.transfer_reversal_id) == (400, "")
    # Recording the failure writes only its own fields: the "pending" read before the
    # reversal must not overwrite the "succeeded" Stripe's event stored meanwhile.
    assert refund.status == "succeeded"


def test_a_reversal_made_while_stripe_confirms_the_refund_keeps_stripes_refund_status(gateway):
    order = _separate_sale()
    gateway._refund_create = lambda **kwargs: stripe_payments.RefundResult(
        id=f"re_{kwargs['refund_id']}", status="pending", amount=kwargs["amount"]
    )

    def reverse_after_stripe_confirmed_the_refund(**kwargs):
        _stripe_confirms_refund_meanwhile(gateway, order=order, refund_id=kwargs["refund_id"])
        return stripe_payments.TransferResult(
            id=f"trr_{kwargs['refund_id']}", amount=kwargs["amount"]
        )

    gateway._transfer_reversal_create = reverse_after_stripe_confirmed_the_refund

    order_refund(order_id=order.pk, amount=500, requested_by=order.seller)

    refund = Refund.objects.get()
    assert (refund.transfer_reversal_id, refund.failure_message) == (f"trr_{refund.pk}", "")
    # Saving the reversal writes only its own fields, not the "pending" read before it.
    assert refund.status == "succeeded"
    order.refresh_from_db()
    assert (order.refunded_amount, order.transfer_reversed_amount) == (500, 400)
    assert order.seller_net_amount == 800 - 400


# --- Disputes -----------------------------------------------------------------------------------


def test_a_dispute_on_a_charge_outside_the_marketplace_is_logged_for_the_operator(gateway, caplog):
    caplog.set_level(logging.INFO, logger="checkout.services.refunds")
    gateway.dispute = dispute_state(dispute_id="dp_elsewhere", charge_id="ch_sellers_own_sale")

    assert order_apply_dispute(dispute_id="dp_elsewhere") is None

    [line] = [r for r in caplog.records if r.name == "checkout.services.refunds"]
    assert (line.levelname, line.getMessage()) == (
        "INFO",
        "Dispute dp_elsewhere ignored: not a marketplace sale.",
    )


def test_a_dispute_reported_from_the_wrong_account_is_logged_with_that_account(gateway, caplog):
    # A destination charge is the platform's: its dispute never comes from the seller's account.
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.dispute = dispute_state(dispute_id="dp_wrong_side", charge_id=order.charge_id)

    assert order_apply_dispute(dispute_id="dp_wrong_side", stripe_account_id="acct_other") is None

    [line] = [r for r in caplog.records if r.name == "checkout.services.refunds"]
    assert (line.levelname, line.getMessage()) == (
        "WARNING",
        "Dispute dp_wrong_side ignored: reported by 'acct_other'.",
    )
    order.refresh_from_db()
    assert (order.status, order.dispute_id) == (Order.Status.PAID, "")


def test_a_dispute_first_heard_of_as_lost_tells_the_seller_it_was_lost_not_that_it_opened(
    gateway, on_commit
):
    # Events may come late or be missed: the dispute is re-read and is already decided.
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.dispute = dispute_state(dispute_id="dp_1", charge_id=order.charge_id, status="lost")

    with on_commit(execute=True):
        order_apply_dispute(dispute_id="dp_1")

    order.refresh_from_db()
    assert (order.status, order.dispute_amount) == (Order.Status.DISPUTE_LOST, 4900)
    title = order.course.title
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([order.seller.email], f"A dispute on “{title}” was lost")
    ]


def test_a_dispute_moving_to_review_sends_no_opening_email(gateway, on_commit):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.dispute = dispute_state(dispute_id="dp_1", charge_id=order.charge_id)
    with on_commit(execute=False):
        order_apply_dispute(dispute_id="dp_1")
    # The opening email was given up on after five failed sends (the operator was told in the
    # log); the seller answering it, which moves it to review, is no news to send it for.
    OrderEmail.objects.create(order=order, kind="dispute", attempts=5, last_error="SMTPError()")
    gateway.dispute = dispute_state(
        dispute_id="dp_1", charge_id=order.charge_id, status="under_review"
    )

    with on_commit(execute=True):
        order_apply_dispute(dispute_id="dp_1")

    order.refresh_from_db()
    assert (order.status, order.dispute_status) == (Order.Status.DISPUTED, "under_review")
    assert mail.outbox == []
