"""Buying and fulfilling orders: the Checkout Session, recording its payment, paying the
seller (the transfer claim for separate charges), closing unpaid orders, reconciliation.

Stripe is never called inside a database transaction: a service locks and checks our rows,
commits, calls Stripe, then locks again to record what Stripe answered. Every step can run twice
(a retried webhook, the success page racing the webhook) and ends in the same state.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import Course
from catalog.money import percent_of
from catalog.selectors import course_sale_blocker
from checkout import emails, selectors, stripe_payments
from checkout.claims import row_claim
from checkout.models import ACCESS_STATUSES, Order, StripeCustomer
from checkout.services.errors import CheckoutError, CourseAlreadyOwned
from checkout.services.notices import order_email_later, order_refund_email_kind
from checkout.services.refunds import refund_reversals_retry
from checkout.services.sale_totals import sale_contribution, sale_totals_apply
from checkout.session_rules import (
    CHECKOUT_PREPARING_TIMEOUT,
    CHECKOUT_SESSION_LIFETIME,
    SUCCESS_QUERY,
    site_url,
)
from site_config.stripe_client import StripeErrorCode, StripeGatewayError

logger = logging.getLogger(__name__)

# A transfer claim older than this belongs to a process that died; another may take over.
TRANSFER_CLAIM_TIMEOUT = timedelta(minutes=2)


def order_fee_amount(*, course: Course) -> int:
    """The platform's fee: the course's percentage of its price in minor units, rounded half up
    (so 10 % of $0.55 is 6 cents, 15 % of ¥150 is ¥23). Computed once, when the order is made."""
    return percent_of(course.price_amount, course.platform_fee_percent)


def order_checkout_start(*, buyer: User, course: Course) -> Order:
    """Create a pending order and its Checkout Session (the only Stripe call), or reuse the
    buyer's open one. Raises `CheckoutError` or `StripeGatewayError` with a message to show."""
    if course.seller_id == buyer.pk:
        raise CheckoutError("You cannot buy your own course.")
    if not course.is_published or course_sale_blocker(course=course) is not None:
        raise CheckoutError("This course is not available to buy yet.")
    if selectors.course_access_allowed(course=course, user=buyer):
        raise CourseAlreadyOwned("You already own this course.")
    charge_type = selectors.course_charge_type(course=course)
    stripe_account_id = course.seller.stripe_account.stripe_account_id
    with transaction.atomic():
        # The buyer's row serialises two clicks arriving together, so they cannot both open a
        # session; the second is asked to wait for the first instead.
        User.objects.select_for_update().filter(pk=buyer.pk).first()
        # One read decides, so a session saved between two reads cannot slip through.
        latest = selectors.order_get_latest_pending(buyer=buyer, course=course)
        if latest is not None and selectors.order_checkout_reusable(order=latest):
            return latest
        if (
            latest is not None
            and not latest.checkout_url
            and latest.created_at > timezone.now() - CHECKOUT_PREPARING_TIMEOUT
        ):
            raise CheckoutError("Your payment page is being prepared. Try again in a moment.")
        order = Order.objects.create(
            buyer=buyer,
            course=course,
            seller=course.seller,
            charge_type=charge_type,
            amount=course.price_amount,
            fee_amount=order_fee_amount(course=course),
            currency=course.currency,
            stripe_account_id=stripe_account_id,
        )
    customer_account = stripe_account_id if charge_type == Order.ChargeType.DIRECT else ""
    customer_id = selectors.stripe_customer_id(user=buyer, stripe_account_id=customer_account)
    try:
        session = stripe_payments.checkout_session_create(
            order_id=order.pk,
            charge_type=charge_type,
            course_title=course.title,
            amount=order.amount,
            currency=order.currency,
            fee_amount=order.fee_amount,
            stripe_account_id=stripe_account_id,
            customer_id=customer_id,
            customer_email=buyer.email,
            success_url=site_url(reverse("checkout:success")) + SUCCESS_QUERY,
            cancel_url=site_url(reverse("checkout:cancelled", kwargs={"pk": order.pk})),
            expires_at=timezone.now() + CHECKOUT_SESSION_LIFETIME,
        )
    except StripeGatewayError as error:
        # No session reached the buyer, so nothing can be paid on this order.
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
        if customer_id and error.code == StripeErrorCode.RESOURCE_MISSING:
            # The stored customer is gone (a Standard seller may delete customers on their own
            # account); forgetting it lets the next click make a new one instead of failing again.
            StripeCustomer.objects.filter(
                user=buyer, stripe_account_id=customer_account, customer_id=customer_id
            ).delete()
        raise
    order.checkout_session_id = session.id
    order.checkout_url = session.url
    order.checkout_expires_at = session.expires_at
    order.save(update_fields=["checkout_session_id", "checkout_url", "checkout_expires_at"])
    return order


def order_fulfil(*, session_id: str) -> Order | None:
    """Record a Checkout Session's payment and pay the seller, once, however often it is called.

    Called from the success page, the webhook and `reconcile_orders`. Acts only when Stripe says
    the session is paid; an expired session cancels its pending order.
    https://docs.stripe.com/checkout/fulfillment
    """
    order = Order.objects.filter(checkout_session_id=session_id).first()
    if order is None:
        return None
    if order.paid_at is None:
        session = stripe_payments.checkout_session_retrieve(
            session_id=session_id,
            stripe_account_id=(
                order.stripe_account_id if order.charge_type == Order.ChargeType.DIRECT else ""
            ),
        )
        order = _order_record_session(order_id=order.pk, session=session)
    if (
        order.paid_at is not None
        and order.charge_type == Order.ChargeType.SEPARATE
        and not order.transfer_id
    ):
        order = _order_transfer_to_seller(order=order)
    return order


def _order_record_session(*, order_id: int, session: stripe_payments.CheckoutSession) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.paid_at is not None:
            return order
        if session.payment_status == "paid":
            if (session.amount_total, session.currency) != (order.amount, order.currency):
                logger.error(
                    "Order %s: Stripe took %s %s, the order says %s %s",
                    order.pk,
                    session.amount_total,
                    session.currency,
                    order.amount,
                    order.currency,
                )
            before = sale_contribution(order=order)
            order.mark_paid(payment=session, paid_at=timezone.now())
            order.save()
            sale_totals_apply(before=before, after=sale_contribution(order=order))
            if session.customer_id:
                StripeCustomer.objects.update_or_create(
                    user_id=order.buyer_id,
                    stripe_account_id=session.stripe_account_id,
                    defaults={"customer_id": session.customer_id},
                )
            order_email_later(order_id=order.pk, kind=emails.RECEIPT)
            order_email_later(order_id=order.pk, kind=emails.SALE)
            if order.refunded_amount:
                order_email_later(order_id=order.pk, kind=order_refund_email_kind(order=order))
        elif session.status == "expired" and order.status == Order.Status.PENDING:
            order.status = Order.Status.CANCELLED
            order.save(update_fields=["status", "updated_at"])
        return order


def _order_transfer_to_seller(*, order: Order) -> Order:
    """Separate charges: transfer price minus fee to the seller, claimed by one process only."""
    claimed = row_claim(
        rows=Order.objects.filter(pk=order.pk, transfer_id="", status__in=ACCESS_STATUSES),
        field="transfer_claimed_at",
        timeout=TRANSFER_CLAIM_TIMEOUT,
    )
    if not claimed:
        return Order.objects.get(pk=order.pk)
    try:
        transfer = stripe_payments.transfer_create(
            order_id=order.pk,
            amount=order.net_amount,
            currency=order.currency,
            destination=order.stripe_account_id,
            source_transaction=order.charge_id,
        )
    except StripeGatewayError:
        Order.objects.filter(pk=order.pk).update(transfer_claimed_at=None)
        raise
    Order.objects.filter(pk=order.pk).update(
        transfer_id=transfer.id, transfer_claimed_at=None, updated_at=timezone.now()
    )
    return Order.objects.get(pk=order.pk)


def order_mark_payment_failed(*, session_id: str) -> Order | None:
    """An asynchronous payment (a bank debit) failed after Checkout completed."""
    return _order_close_pending(session_id=session_id, status=Order.Status.FAILED)


def order_cancel_expired(*, session_id: str) -> Order | None:
    return _order_close_pending(session_id=session_id, status=Order.Status.CANCELLED)


def _order_close_pending(*, session_id: str, status: str) -> Order | None:
    """End a session's order that is still waiting for payment; a paid one is left alone."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(checkout_session_id=session_id).first()
        if order is not None and order.status == Order.Status.PENDING:
            order.status = status
            order.save(update_fields=["status", "updated_at"])
        return order


def order_attach_session(
    *, order_id: int, session_id: str, amount: int, currency: str, stripe_account_id: str
) -> None:
    """Link a session to its order when the Buy request died before saving the session id.

    The session must be for the order's amount and live where the order's charge lives (the
    seller's account for direct charges, the platform otherwise), so a session that another
    integration or another seller's account made, with a colliding reference, is never linked.
    """
    orders = Order.objects.filter(
        pk=order_id, checkout_session_id__isnull=True, amount=amount, currency=currency
    )
    if stripe_account_id:
        orders = orders.filter(
            charge_type=Order.ChargeType.DIRECT, stripe_account_id=stripe_account_id
        )
    else:
        orders = orders.exclude(charge_type=Order.ChargeType.DIRECT)
    orders.update(checkout_session_id=session_id)


def orders_reconcile() -> dict[str, int]:
    """Re-read every open session (and untransferred separate charge) from Stripe and settle it,
    then retry the refunds' transfer reversals that failed.

    Returns counts by outcome; an order Stripe cannot be asked about now is left for next time.
    """
    counts = {"paid": 0, "cancelled": 0, "open": 0, "errors": 0}
    for order in selectors.order_list_to_reconcile():
        try:
            settled = order_fulfil(session_id=order.checkout_session_id)
        except StripeGatewayError:
            logger.warning("Reconciling order %s failed", order.pk, exc_info=True)
            counts["errors"] += 1
            continue
        if settled is None or settled.status == Order.Status.PENDING:
            counts["open"] += 1
        elif settled.status == Order.Status.CANCELLED:
            counts["cancelled"] += 1
        else:
            counts["paid"] += 1
    counts.update(refund_reversals_retry())
    return counts
