"""Refunds (with the seller's share taken back), Stripe's refunded totals, and disputes.

Stripe is never called inside a database transaction (see `checkout.services.orders`).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from accounts.models import User
from checkout import emails, selectors, stripe_payments
from checkout.models import ACCESS_STATUSES, Order, Refund
from checkout.services.errors import CheckoutError, EventNotReady
from checkout.services.notices import order_email_later, order_refund_email_kind
from checkout.services.sale_totals import sale_contribution, sale_totals_apply
from site_config.stripe_client import StripeGatewayError


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
        try:
            reversal = stripe_payments.transfer_reversal_create(
                refund_id=refund.pk, transfer_id=order.transfer_id, amount=reversal_amount
            )
        except StripeGatewayError as error:
            refund.failure_message = (
                f"Refunded, but taking the seller's share back failed: {error.user_message}"
            )
            refund.save(update_fields=["failure_message"])
            raise
        refund.transfer_reversal_id = reversal.id
        refund.save(update_fields=["transfer_reversal_id"])
        _order_follow_reversals(order_id=order.pk)
    return refund


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


def order_mark_disputed(*, charge_id: str) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(charge_id=charge_id).first()
        if order is None:
            raise EventNotReady(f"No order has charge {charge_id} yet.")
        if order.status in ACCESS_STATUSES:
            order.status = Order.Status.DISPUTED
            order.save(update_fields=["status", "updated_at"])
            order_email_later(order_id=order.pk, kind=emails.DISPUTE)
        return order
