"""Buying, fulfilling and refunding orders, and acting on Stripe's webhook events.

Stripe is never called inside a database transaction: a service locks and checks our rows,
commits, calls Stripe, then locks again to record what Stripe answered. Every step can run twice
(a retried webhook, the success page racing the webhook) and ends in the same state.
"""

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from accounts.stripe_connect import StripeGatewayError
from catalog.models import Course
from catalog.money import percent_of
from catalog.selectors import course_sale_blocker
from checkout import emails, selectors, stripe_payments
from checkout.models import (
    ACCESS_STATUSES,
    Order,
    Refund,
    SaleTotal,
    StripeCustomer,
    WebhookEvent,
)
from checkout.stripe_webhooks import ParsedEvent
from checkout.tasks import order_email_send

logger = logging.getLogger(__name__)

# Stripe accepts 30 minutes to 24 hours; short keeps abandoned orders from piling up.
CHECKOUT_SESSION_LIFETIME = timedelta(minutes=31)
# Stripe fills the placeholder in, so the success page knows which session to fulfil.
SUCCESS_QUERY = "?session_id={CHECKOUT_SESSION_ID}"
# How long a Buy request may take to get its session from Stripe (the SDK's retries included).
CHECKOUT_PREPARING_TIMEOUT = timedelta(seconds=90)
# A transfer claim older than this belongs to a process that died; another may take over.
TRANSFER_CLAIM_TIMEOUT = timedelta(minutes=2)


class CheckoutError(Exception):
    """A purchase or refund that our rules refuse; `user_message` is safe to show."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


class CourseAlreadyOwned(CheckoutError):
    pass


class EventNotReady(Exception):
    """The event refers to something not recorded yet; answering 500 makes Stripe retry later."""


def order_fee_amount(*, course: Course) -> int:
    """The platform's fee: the course's percentage of its price in minor units, rounded half up
    (so 10 % of $0.55 is 6 cents, 15 % of ¥150 is ¥23). Computed once, when the order is made."""
    return percent_of(course.price_amount, course.platform_fee_percent)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


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
            success_url=_absolute(reverse("checkout:success")) + SUCCESS_QUERY,
            cancel_url=_absolute(reverse("checkout:cancelled", kwargs={"pk": order.pk})),
            expires_at=timezone.now() + CHECKOUT_SESSION_LIFETIME,
        )
    except StripeGatewayError as error:
        # No session reached the buyer, so nothing can be paid on this order.
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
        if customer_id and error.code == "resource_missing":
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
            _email_later(order_id=order.pk, kind=emails.RECEIPT)
            _email_later(order_id=order.pk, kind=emails.SALE)
            if order.refunded_amount:
                _email_later(order_id=order.pk, kind=_refund_email_kind(order))
        elif session.status == "expired" and order.status == Order.Status.PENDING:
            order.status = Order.Status.CANCELLED
            order.save(update_fields=["status", "updated_at"])
        return order


def _order_transfer_to_seller(*, order: Order) -> Order:
    """Separate charges: transfer price minus fee to the seller, claimed by one process only."""
    now = timezone.now()
    claimed = (
        Order.objects.filter(pk=order.pk, transfer_id="", status__in=ACCESS_STATUSES)
        .filter(
            Q(transfer_claimed_at__isnull=True)
            | Q(transfer_claimed_at__lt=now - TRANSFER_CLAIM_TIMEOUT)
        )
        .update(transfer_claimed_at=now)
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


# --- Refunds --------------------------------------------------------------------------------


def order_refundable_amount(*, order: Order) -> int:
    """What may still be refunded: Stripe's refunded total or our own refunds in flight, whichever
    is larger (the webhook that raises `refunded_amount` may not have landed yet)."""
    ours = (
        order.refunds.exclude(status__in=Refund.VOID_STATUSES).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )
    return max(order.amount - max(order.refunded_amount, ours), 0)


def order_refund(*, order_id: int, amount: int, requested_by: User) -> Refund:
    """Refund part or all of a sale, taking the seller's share back as the charge type needs.

    The order's status follows Stripe's `charge.refunded` webhook, not this call.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status not in ACCESS_STATUSES:
            raise CheckoutError("Only paid orders can be refunded.")
        if order.charge_type == Order.ChargeType.SEPARATE and not order.transfer_id:
            raise CheckoutError("The seller's transfer is still being made. Try again shortly.")
        if blocked := selectors.order_refund_blocked_reason(order=order):
            raise CheckoutError(blocked)
        refundable = order_refundable_amount(order=order)
        if amount <= 0:
            raise CheckoutError("The refund must be more than zero.")
        if amount > refundable:
            raise CheckoutError("The refund is larger than what is left to refund.")
        reversal_amount = 0
        if order.charge_type == Order.ChargeType.SEPARATE:
            reversal_amount = _seller_share_of_refund(
                order=order, amount=amount, is_last=amount == refundable
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
    return refund


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


def order_apply_refunds(*, charge_id: str, stripe_account_id: str = "") -> Order | None:
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
        if order.apply_refunded_total(refunded_total=charge.amount_refunded):
            order.save()
            sale_totals_apply(before=before, after=sale_contribution(order=order))
            _email_later(order_id=order.pk, kind=_refund_email_kind(order))
        return order


def _refund_email_kind(order: Order) -> str:
    # One notice per refunded total, so each further partial refund is announced once.
    return f"{emails.REFUND_PREFIX}{order.refunded_amount}"


def order_mark_disputed(*, charge_id: str) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(charge_id=charge_id).first()
        if order is None:
            raise EventNotReady(f"No order has charge {charge_id} yet.")
        if order.status in ACCESS_STATUSES:
            order.status = Order.Status.DISPUTED
            order.save(update_fields=["status", "updated_at"])
            _email_later(order_id=order.pk, kind=emails.DISPUTE)
        return order


# --- Sale totals ----------------------------------------------------------------------------
# The all-time dashboards read `SaleTotal` instead of every order. Each service that changes an
# order's money (payment, refunded total) applies the difference its change makes, inside the
# transaction that holds the order's row lock, so a repeated event changes nothing twice. A
# dispute changes the status only: a disputed sale stays a sale, with the same amounts.

SaleKey = tuple[int, int, str, str]
SaleAmounts = tuple[int, int, int, int]


def sale_contribution(*, order: Order) -> tuple[SaleKey, SaleAmounts] | None:
    """What an order adds to the sale totals: None until it is paid."""
    if order.paid_at is None:
        return None
    key = (order.seller_id, order.course_id, order.currency, order.charge_type)
    return key, (1, order.amount, order.fee_amount, order.refunded_amount)


def sale_totals_apply(
    *,
    before: tuple[SaleKey, SaleAmounts] | None,
    after: tuple[SaleKey, SaleAmounts] | None,
) -> None:
    """Move the totals from an order's old contribution to its new one (call under its lock)."""
    if before == after:
        return
    changes: dict[SaleKey, list[int]] = {}
    for contribution, sign in ((before, -1), (after, 1)):
        if contribution is not None:
            key, amounts = contribution
            totals = changes.setdefault(key, [0, 0, 0, 0])
            for index, amount in enumerate(amounts):
                totals[index] += sign * amount
    for (seller_id, course_id, currency, charge_type), delta in changes.items():
        if any(delta):
            _sale_total_add(
                key={
                    "seller_id": seller_id,
                    "course_id": course_id,
                    "currency": currency,
                    "charge_type": charge_type,
                },
                delta=delta,
            )


def _sale_total_add(*, key: dict, delta: list[int]) -> None:
    count, gross, fees, refunds = delta
    increments = {
        "count": F("count") + count,
        "gross": F("gross") + gross,
        "fees": F("fees") + fees,
        "refunds": F("refunds") + refunds,
    }
    if SaleTotal.objects.filter(**key).update(**increments):
        return
    try:
        # A savepoint, so losing a race to create the same row leaves the transaction usable.
        with transaction.atomic():
            SaleTotal.objects.create(**key, count=count, gross=gross, fees=fees, refunds=refunds)
    except IntegrityError:
        SaleTotal.objects.filter(**key).update(**increments)


def sale_totals_rebuild() -> dict[str, int]:
    """Recompute every sale total from the orders; returns how many rows were wrong or missing.

    For data written before the totals existed, and as a reconciliation check. On PostgreSQL the
    table is locked for the rebuild, so a payment recorded meanwhile waits and then adds to the
    rebuilt rows; SQLite writers are serialised anyway.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {SaleTotal._meta.db_table} IN EXCLUSIVE MODE")
        expected = {
            (row["seller_id"], row["course_id"], row["currency"], row["charge_type"]): (
                row["count"],
                row["gross"],
                row["fees"],
                row["refunds"],
            )
            for row in Order.objects.filter(paid_at__isnull=False)
            .values("seller_id", "course_id", "currency", "charge_type")
            .annotate(
                count=Count("id"),
                gross=Sum("amount"),
                fees=Sum("fee_amount"),
                refunds=Sum("refunded_amount"),
            )
            .order_by()
        }
        found = {
            (row.seller_id, row.course_id, row.currency, row.charge_type): (
                row.count,
                row.gross,
                row.fees,
                row.refunds,
            )
            for row in SaleTotal.objects.all()
        }
        wrong = sum(
            1 for key in expected.keys() | found.keys() if expected.get(key) != found.get(key)
        )
        SaleTotal.objects.all().delete()
        SaleTotal.objects.bulk_create(
            [
                SaleTotal(
                    seller_id=seller_id,
                    course_id=course_id,
                    currency=currency,
                    charge_type=charge_type,
                    count=count,
                    gross=gross,
                    fees=fees,
                    refunds=refunds,
                )
                for (seller_id, course_id, currency, charge_type), (
                    count,
                    gross,
                    fees,
                    refunds,
                ) in expected.items()
            ],
            batch_size=1000,
        )
    return {"rows": len(expected), "corrected": wrong}


# --- Emails ---------------------------------------------------------------------------------


def _email_later(*, order_id: int, kind: str) -> None:
    transaction.on_commit(lambda: order_email_send.enqueue(order_id=order_id, kind=kind))


# --- Webhooks -------------------------------------------------------------------------------


def webhook_event_receive(*, event: ParsedEvent, endpoint: str) -> WebhookEvent | None:
    """Store a verified event once and process it; None for a duplicate already processed.

    A handler's exception propagates (the view answers 500, Stripe retries); the stored event
    keeps the error and is processed again on the retry.
    """
    record, _ = WebhookEvent.objects.get_or_create(
        event_id=event.id,
        defaults={
            "type": event.type,
            "account": event.account,
            "endpoint": endpoint,
            "payload": event.payload,
        },
    )
    if record.processed_at is not None:
        return None
    webhook_event_process(record=record)
    return record


def webhook_event_process(*, record: WebhookEvent) -> None:
    WebhookEvent.objects.filter(pk=record.pk).update(attempts=record.attempts + 1)
    handler = WEBHOOK_HANDLERS.get(record.type)
    try:
        if handler is not None:
            handler(record)
    except Exception as error:
        WebhookEvent.objects.filter(pk=record.pk).update(last_error=repr(error)[:2000])
        raise
    WebhookEvent.objects.filter(pk=record.pk).update(processed_at=timezone.now(), last_error="")


def _event_object(record: WebhookEvent) -> dict:
    return (record.payload.get("data") or {}).get("object") or {}


def _on_session_completed(record: WebhookEvent) -> None:
    session = _event_object(record)
    reference = (session.get("metadata") or {}).get("order_id") or session.get(
        "client_reference_id"
    )
    if reference and str(reference).isdigit():
        order_attach_session(
            order_id=int(reference),
            session_id=session["id"],
            amount=session.get("amount_total") or 0,
            currency=session.get("currency") or "",
            stripe_account_id=record.account,
        )
    order_fulfil(session_id=session["id"])


def _on_session_async_failed(record: WebhookEvent) -> None:
    order_mark_payment_failed(session_id=_event_object(record)["id"])


def _on_session_expired(record: WebhookEvent) -> None:
    order_cancel_expired(session_id=_event_object(record)["id"])


def _on_charge_refunded(record: WebhookEvent) -> None:
    order_apply_refunds(charge_id=_event_object(record)["id"], stripe_account_id=record.account)


def _on_dispute_created(record: WebhookEvent) -> None:
    charge = _event_object(record).get("charge")
    charge_id = charge if isinstance(charge, str) else (charge or {}).get("id", "")
    if not Order.objects.filter(charge_id=charge_id).exists():
        # The Connect endpoint also hears of disputes on a Standard seller's own sales; only a
        # charge that names one of our orders is worth Stripe's retries until it is recorded.
        charge_state = stripe_payments.charge_retrieve(
            charge_id=charge_id, stripe_account_id=record.account
        )
        if charge_state.order_id is None:
            logger.info("Dispute on %s ignored: not a marketplace sale.", charge_id)
            return
    order_mark_disputed(charge_id=charge_id)


def _on_account_updated(record: WebhookEvent) -> None:
    account_id = record.account or _event_object(record).get("id", "")
    account_services.stripe_account_refresh(stripe_account_id=account_id)


def _on_account_deauthorized(record: WebhookEvent) -> None:
    account_services.stripe_account_disconnect(stripe_account_id=record.account)


WEBHOOK_HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_session_completed,
    "checkout.session.async_payment_failed": _on_session_async_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute_created,
    "account.updated": _on_account_updated,
    "account.application.deauthorized": _on_account_deauthorized,
}


# --- Reconciliation -------------------------------------------------------------------------


def orders_reconcile() -> dict[str, int]:
    """Re-read every open session (and untransferred separate charge) from Stripe and settle it.

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
    return counts
