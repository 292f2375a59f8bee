"""Refunds (with the seller's share taken back), Stripe's refunded totals, and disputes.

Stripe is never called inside a database transaction (see `checkout.services.orders`).
"""

import logging
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from accounts.models import User
from checkout import emails, selectors, stripe_payments
from checkout.models import Order, Refund
from checkout.services.errors import CheckoutError, EventNotReady
from checkout.services.notices import order_email_later, order_refund_email_kind
from checkout.services.sale_totals import sale_contribution, sale_totals_apply
from site_config.stripe_client import StripeGatewayError

logger = logging.getLogger(__name__)


def order_refund(*, order_id: int, amount: int, requested_by: User) -> Refund:
    """Refund part or all of a sale, taking the seller's share back as the charge type needs.

    Refused (`CheckoutError`) unless `order_refund_permission` allows `requested_by` to refund it.

    The order's status follows Stripe's `charge.refunded` webhook, not this call.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        # Checked here, under the lock, not only by the page: the caller is not trusted.
        permission = selectors.order_refund_permission(order=order, user=requested_by)
        if not permission.allowed:
            raise CheckoutError(permission.blocker)
        if order.charge_type == Order.ChargeType.SEPARATE and not order.transfer_id:
            raise CheckoutError("The seller's transfer is still being made. Try again shortly.")
        if amount <= 0:
            raise CheckoutError("The refund must be more than zero.")
        if amount > permission.amount_left:
            raise CheckoutError("The refund is larger than what is left to refund.")
        reversal_amount = 0
        if order.charge_type == Order.ChargeType.SEPARATE:
            reversal_amount = _seller_share_of_refund(
                order=order, amount=amount, is_last=amount == permission.amount_left
            )
        refund = Refund.objects.create(
            order=order,
            amount=amount,
            currency=order.currency,
            requested_by=requested_by,
            transfer_reversal_amount=reversal_amount,
        )

    try:
        result = stripe_payments.refund_create(
            refund_id=refund.pk,
            order_id=order.pk,
            charge_type=order.charge_type,
            payment_intent_id=order.payment_intent_id,
            amount=amount,
            stripe_account_id=order.stripe_account_id,
        )
    except StripeGatewayError as error:
        Refund.objects.filter(pk=refund.pk).update(
            status="failed", failure_message=error.user_message
        )
        raise
    refund.stripe_refund_id = result.id
    refund.status = result.status
    refund.save(update_fields=["stripe_refund_id", "status"])

    if reversal_amount:
        refund = _refund_reverse_transfer(refund=refund, transfer_id=order.transfer_id)
        if not refund.transfer_reversal_id:
            raise StripeGatewayError(refund.failure_message)
    return refund


# Shown on the sale until a retry by `reconcile_orders` takes the seller's share back.
REVERSAL_FAILED = "Refunded, but taking the seller's share back failed: {reason} It is retried."


def _refund_reverse_transfer(*, refund: Refund, transfer_id: str) -> Refund:
    """Take the seller's share of a separate charge's refund back from their transfer; on
    failure the refund says why (and `refund_reversals_retry` tries again later)."""
    try:
        found = None
        if refund.transfer_reversal_attempts:
            # An earlier attempt may have gone through though its answer was lost.
            found = stripe_payments.transfer_reversal_find(
                refund_id=refund.pk, transfer_id=transfer_id
            )
        reversal = found or stripe_payments.transfer_reversal_create(
            refund_id=refund.pk,
            transfer_id=transfer_id,
            amount=refund.transfer_reversal_amount,
            attempt=refund.transfer_reversal_attempts,
        )
    except StripeGatewayError as error:
        refund.transfer_reversal_attempts += 1
        refund.failure_message = REVERSAL_FAILED.format(reason=error.user_message)
        refund.save(update_fields=["transfer_reversal_attempts", "failure_message"])
        return refund
    refund.transfer_reversal_id = reversal.id
    if refund.failure_message.startswith(REVERSAL_FAILED[:40]):
        refund.failure_message = ""
    refund.save(update_fields=["transfer_reversal_id", "failure_message"])
    _order_follow_reversals(order_id=refund.order_id)
    return refund


def refunds_awaiting_reversal():
    """Separate charges' refunds that went through at Stripe while taking the seller's share
    back did not."""
    return (
        Refund.objects.filter(
            order__charge_type=Order.ChargeType.SEPARATE,
            transfer_reversal_amount__gt=0,
            transfer_reversal_id="",
            stripe_refund_id__isnull=False,
        )
        .exclude(status__in=Refund.VOID_STATUSES)
        .select_related("order")
        .order_by("created_at", "id")
    )


def refund_reversals_retry() -> dict[str, int]:
    """Retry every transfer reversal that failed; counts of those that now went through and of
    those still failing (shown on the sale until a retry succeeds)."""
    counts = {"reversed": 0, "still_failing": 0}
    for refund in refunds_awaiting_reversal():
        refund = _refund_reverse_transfer(refund=refund, transfer_id=refund.order.transfer_id)
        counts["reversed" if refund.transfer_reversal_id else "still_failing"] += 1
    return counts


def _order_follow_reversals(*, order_id: int) -> None:
    """Separate charges: the seller's net is the transfer less the reversals Stripe made."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        reversed_total = (
            order.refunds.exclude(transfer_reversal_id="").aggregate(
                total=Sum("transfer_reversal_amount")
            )["total"]
            or 0
        )
        if reversed_total == order.transfer_reversed_amount:
            return
        before = sale_contribution(order=order)
        order.transfer_reversed_amount = reversed_total
        order.money_recompute()
        order.save()
        sale_totals_apply(before=before, after=sale_contribution(order=order))


def _seller_share_of_refund(*, order: Order, amount: int, is_last: bool) -> int:
    """The part of a refund the seller bears: proportional to their share of the price, rounded
    half up; the last refund takes whatever is left of the transfer so reversals add up."""
    reversed_so_far = (
        order.refunds.exclude(status__in=Refund.VOID_STATUSES).aggregate(
            total=Sum("transfer_reversal_amount")
        )["total"]
        or 0
    )
    left = order.net_amount - reversed_so_far
    if is_last:
        return max(left, 0)
    share = (Decimal(order.net_amount) * amount / order.amount).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return min(int(share), left)


def order_apply_refunds(*, charge_id: str, stripe_account_id: str) -> Order | None:
    """Follow Stripe's refunded total for a charge (re-read, so events may come in any order)."""
    order = Order.objects.filter(charge_id=charge_id).first()
    if order is None:
        # Not fulfilled yet: fulfilment reads the refunded total from the charge itself.
        return None
    charge = stripe_payments.charge_retrieve(
        charge_id=charge_id, stripe_account_id=stripe_account_id
    )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        before = sale_contribution(order=order)
        refunded = order.apply_refunded_total(refunded_total=charge.amount_refunded)
        # Only a failed refund makes Stripe's total shrink; an older event never does, since
        # the charge is re-read, not taken from the event.
        released = any(
            state.status in Refund.VOID_STATUSES for state in charge.refunds
        ) and order.release_failed_refunds(refunded_total=charge.amount_refunded)
        # Both grow together on Stripe's side; either may be news (events arrive in any order).
        fee_returned = order.apply_fee_refunded_total(
            fee_refunded_total=charge.application_fee_refunded
        )
        reversed_ = order.charge_type == Order.ChargeType.DESTINATION and (
            order.apply_transfer_reversed_total(reversed_total=charge.transfer_reversed)
        )
        if refunded or fee_returned or released or reversed_:
            order.save()
            sale_totals_apply(before=before, after=sale_contribution(order=order))
        if refunded:
            order_email_later(order_id=order.pk, kind=order_refund_email_kind(order=order))
        _refund_rows_follow(order=order, refunds=charge.refunds)
        return order


def _refund_rows_follow(*, order: Order, refunds) -> None:
    """One refund row per Stripe refund, with Stripe's status, wherever it was made: the app's
    own rows are found by the id in the refund's metadata (even before the app saved Stripe's
    id), one made in the Dashboard or through the API gets a new row. Call under the order's
    lock, so two events about the same refund never both create it."""
    for state in refunds:
        row = Refund.objects.filter(stripe_refund_id=state.id).first()
        if row is None and state.refund_id is not None:
            row = Refund.objects.filter(
                pk=state.refund_id, order=order, stripe_refund_id__isnull=True
            ).first()
        if row is None:
            Refund.objects.create(
                order=order,
                amount=state.amount,
                currency=state.currency or order.currency,
                stripe_refund_id=state.id,
                status=state.status,
                failure_message=_failure_words(state.failure_reason),
            )
            continue
        changes = {
            "stripe_refund_id": state.id,
            "status": state.status,
            "failure_message": _failure_words(state.failure_reason) or row.failure_message,
        }
        if any(getattr(row, field) != value for field, value in changes.items()):
            Refund.objects.filter(pk=row.pk).update(**changes)
    for state in refunds:
        if state.status == "failed":
            # Sent once per refund (the email's kind names it), however often this runs.
            order_email_later(order_id=order.pk, kind=f"{emails.REFUND_FAILED_PREFIX}{state.id}")


# Stripe's refund failure reasons in words a seller can act on.
REFUND_FAILURE_WORDS = {
    "expired_or_canceled_card": "the buyer's card has expired or was cancelled",
    "lost_or_stolen_card": "the buyer's card was reported lost or stolen",
    "unknown": "the buyer's bank did not accept it",
}


def _failure_words(reason: str) -> str:
    if not reason:
        return ""
    return "The refund failed: " + REFUND_FAILURE_WORDS.get(reason, REFUND_FAILURE_WORDS["unknown"])


def order_apply_dispute(*, dispute_id: str, stripe_account_id: str = "") -> Order | None:
    """Follow a dispute as Stripe has it now (re-read, so its events may come in any order):
    status, what it withdrew and reinstated, and Stripe's dispute fee; the seller hears of it
    opening and of its outcome once each.

    `stripe_account_id` is the account the event came from: a direct charge's dispute is the
    seller's (Connect endpoint), the others' the platform's. An event from the wrong side, or
    about a charge that is no marketplace sale, changes nothing (None)."""
    dispute = stripe_payments.dispute_retrieve(
        dispute_id=dispute_id, stripe_account_id=stripe_account_id
    )
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(charge_id=dispute.charge_id).first()
        if order is None:
            charge = stripe_payments.charge_retrieve(
                charge_id=dispute.charge_id, stripe_account_id=stripe_account_id
            )
            if charge.order_id is None:
                logger.info("Dispute %s ignored: not a marketplace sale.", dispute.id)
                return None
            raise EventNotReady(f"No order has charge {dispute.charge_id} yet.")
        owner = order.stripe_account_id if order.stripe_fee_borne_by_seller else ""
        if stripe_account_id != owner:
            logger.warning("Dispute %s ignored: reported by %r.", dispute.id, stripe_account_id)
            return None
        was_disputed = order.status == Order.Status.DISPUTED
        before = sale_contribution(order=order)
        if not order.apply_dispute(
            dispute_id=dispute.id,
            status=dispute.status,
            withdrawn=dispute.withdrawn,
            fee=dispute.fee,
        ):
            return order
        order.save()
        sale_totals_apply(before=before, after=sale_contribution(order=order))
        if order.status == Order.Status.DISPUTED and not was_disputed:
            order_email_later(order_id=order.pk, kind=emails.DISPUTE)
        elif dispute.status not in Order.DISPUTE_OPEN:
            order_email_later(order_id=order.pk, kind=emails.dispute_closed_kind(dispute.status))
        return order
