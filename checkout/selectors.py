import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connections, router
from django.db.models import BigIntegerField, Case, F, QuerySet, Sum, Value, When
from django.utils import timezone

from accounts.models import StripeAccount, User
from catalog.models import Course
from checkout.membership_selectors import membership_unlocks_course
from checkout.models import ACCESS_STATUSES, Order, Refund, StripeCustomer, WebhookEvent
from checkout.session_rules import CHECKOUT_REUSE_MARGIN

# Stripe's Checkout Session ids: "cs_test_…" / "cs_live_…" (the sandbox's "cs_1…"), letters,
# digits and underscores.
CHECKOUT_SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}")


def course_charge_type(*, course: Course) -> str:
    """The charge type a course is sold with; "auto" follows Stripe's guidance for the account.

    Standard accounts take direct charges (the seller is the merchant of record); Express and
    Custom accounts take destination charges (the platform is).
    https://docs.stripe.com/connect/charges#types
    """
    if course.charge_type != Course.ChargeType.AUTOMATIC:
        return course.charge_type
    account = getattr(course.seller, "stripe_account", None)
    if account is not None and account.account_type == StripeAccount.AccountType.STANDARD:
        return Order.ChargeType.DIRECT
    return Order.ChargeType.DESTINATION


def course_access_allowed(*, course: Course, user: User) -> bool:
    """Course content is for its paying buyers (not fully refunded), members of its seller's
    membership, its seller and staff."""
    if not user.is_authenticated:
        return False
    if user.is_staff or course.seller_id == user.pk:
        return True
    if Order.objects.filter(buyer=user, course=course, status__in=ACCESS_STATUSES).exists():
        return True
    return membership_unlocks_course(course=course, user=user)


@dataclass(frozen=True)
class BuyBox:
    owned: bool
    is_seller: bool


def course_buy_box(*, course: Course, user: User) -> BuyBox:
    """What the course page's buy box offers this visitor."""
    if not user.is_authenticated:
        return BuyBox(owned=False, is_seller=False)
    return BuyBox(
        owned=Order.objects.filter(buyer=user, course=course, status__in=ACCESS_STATUSES).exists(),
        is_seller=course.seller_id == user.pk,
    )


def order_get_latest_pending(*, buyer: User, course: Course) -> Order | None:
    return (
        Order.objects.filter(buyer=buyer, course=course, status=Order.Status.PENDING)
        .order_by("-created_at", "-id")
        .first()
    )


def order_checkout_reusable(*, order: Order) -> bool:
    """Whether the buyer can still finish paying on this order's Checkout page."""
    return bool(
        order.status == Order.Status.PENDING
        and order.checkout_url
        and order.checkout_expires_at
        and order.checkout_expires_at > timezone.now() + CHECKOUT_REUSE_MARGIN
    )


def order_get_for_viewer(
    *, user: User, session_id: str = "", pk: int | None = None
) -> Order | None:
    """An order its buyer may look at, by Checkout Session id or primary key.

    The id comes from a URL: anything that is not shaped like one is not found, without asking
    the database (PostgreSQL refuses a NUL character with an error)."""
    orders = Order.objects.select_related("course", "seller").filter(buyer=user)
    if session_id:
        if not CHECKOUT_SESSION_ID.fullmatch(session_id):
            return None
        return orders.filter(checkout_session_id=session_id).first()
    if pk is not None:
        return orders.filter(pk=pk).first()
    return None


def order_get(*, pk: int) -> Order | None:
    """An order with its course and both parties; who may see it is the caller's rule."""
    return Order.objects.select_related("course", "buyer", "seller").filter(pk=pk).first()


def order_amount_left_to_refund(*, order: Order) -> int:
    """What may still be refunded, in minor units: Stripe's refunded total or our own refunds in
    flight, whichever is larger (the webhook that raises `refunded_amount` may not have landed)."""
    ours = (
        order.refunds.exclude(status__in=Refund.VOID_STATUSES).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )
    return max(order.amount - max(order.refunded_amount, ours), 0)


@dataclass(frozen=True)
class RefundProgress:
    """Where an order's refunds stand, in minor units: money Stripe has given back, and money
    asked for that Stripe has not confirmed yet."""

    refunded: int
    pending: int


def order_refund_progress(*, order: Order) -> RefundProgress:
    """Refunded: Stripe's total on the order, or our succeeded refunds if their webhook has not
    landed yet. Pending: our refunds Stripe has neither completed nor voided."""
    totals = dict(
        order.refunds.exclude(status__in=Refund.VOID_STATUSES)
        .values_list("status")
        .annotate(total=Sum("amount"))
        .values_list("status", "total")
    )
    succeeded = totals.pop("succeeded", 0)
    return RefundProgress(
        refunded=max(order.refunded_amount, succeeded), pending=sum(totals.values())
    )


@dataclass(frozen=True)
class RefundPermission:
    """Who may refund an order and whether it can be refunded now: the one rule that the refund
    service enforces and the refund page and sale page show."""

    # The user may look after this sale's refunds (its seller or staff); others get a 404.
    may_manage: bool
    # What is left to refund, in minor units.
    amount_left: int
    # Why no refund can be made now; empty when one can.
    blocker: str

    @property
    def allowed(self) -> bool:
        return self.may_manage and not self.blocker


def order_refund_permission(*, order: Order, user: User) -> RefundPermission:
    """Staff and the order's seller may refund a paid (or partially refunded) order while
    something is left to refund. A buyer, another seller or an anonymous visitor may not; a
    disputed order is settled by the dispute, and an unpaid or fully refunded one has nothing to
    give back."""
    may_manage = bool(user.is_authenticated and (user.is_staff or order.seller_id == user.pk))
    amount_left = order_amount_left_to_refund(order=order)
    if not may_manage:
        blocker = "You cannot refund this order."
    elif order.status == Order.Status.DISPUTED:
        blocker = "A disputed order cannot be refunded; the dispute decides."
    elif order.status not in ACCESS_STATUSES:
        blocker = "Only paid orders can be refunded."
    elif amount_left <= 0:
        blocker = "Nothing is left to refund."
    elif lost_access := _lost_access_reason(order=order):
        blocker = lost_access
    else:
        blocker = ""
    return RefundPermission(may_manage=may_manage, amount_left=amount_left, blocker=blocker)


def _lost_access_reason(*, order: Order) -> str:
    """Why the marketplace cannot refund this sale itself ("" when it can), in words for the
    seller: what happened and what to do."""
    if order.charge_type != Order.ChargeType.DIRECT:
        return ""
    # A direct charge lives on the seller's own account; for a Standard account the platform's
    # access ends when it is disconnected (Express and Custom accounts stay the platform's).
    lost_access = StripeAccount.objects.filter(
        stripe_account_id=order.stripe_account_id,
        account_type=StripeAccount.AccountType.STANDARD,
        disconnected_at__isnull=False,
    ).exists()
    if not lost_access:
        return ""
    return (
        "This sale was paid into the seller's own Stripe account, which is no longer connected "
        "to the marketplace, so it cannot be refunded from here. The seller can refund it in "
        "their Stripe Dashboard (Payments, then this payment, then Refund), or connect that "
        "Stripe account again on the Account page and then refund it here."
    )


def stripe_customer_id(*, user: User, stripe_account_id: str) -> str:
    return (
        StripeCustomer.objects.filter(user=user, stripe_account_id=stripe_account_id)
        .values_list("customer_id", flat=True)
        .first()
        or ""
    )


def order_list_to_reconcile() -> QuerySet[Order]:
    """Orders Stripe may know more about: open sessions, and paid separate charges not yet
    transferred to the seller."""
    pending = Order.objects.filter(status=Order.Status.PENDING).exclude(
        checkout_session_id__isnull=True
    )
    untransferred = Order.objects.filter(
        charge_type=Order.ChargeType.SEPARATE,
        paid_at__isnull=False,
        transfer_id="",
        status__in=ACCESS_STATUSES,
    )
    return (pending | untransferred).order_by("created_at")


def fee_returned_sql():
    """`Order.fee_returned_amount` in SQL, for sums over orders: on charges that live on the
    platform, it also bears the part of a refund no transfer reversal took back."""
    return Case(
        When(charge_type=Order.ChargeType.DIRECT, then=F("fee_refunded_amount")),
        default=F("fee_refunded_amount") + F("refunded_amount") - F("transfer_reversed_amount"),
        output_field=BigIntegerField(),
    )


def seller_dispute_loss_sql():
    """`Order.seller_dispute_loss_amount` in SQL: a dispute on a direct charge is the seller's."""
    return Case(
        When(
            charge_type=Order.ChargeType.DIRECT,
            then=F("dispute_amount") + F("dispute_fee_amount"),
        ),
        default=Value(0),
        output_field=BigIntegerField(),
    )


def platform_dispute_loss_sql():
    """`Order.platform_dispute_loss_amount` in SQL: other charges live on the platform."""
    return Case(
        When(charge_type=Order.ChargeType.DIRECT, then=Value(0)),
        default=F("dispute_amount") + F("dispute_fee_amount"),
        output_field=BigIntegerField(),
    )


# Order properties that sums over orders compute in SQL, by property name.
ORDER_FIGURES_SQL = {
    "fee_returned_amount": fee_returned_sql,
    "seller_dispute_loss_amount": seller_dispute_loss_sql,
    "platform_dispute_loss_amount": platform_dispute_loss_sql,
}


# How long the cache remembers a processed event: Stripe retries an event for up to three days.
PROCESSED_EVENT_CACHE_SECONDS = 3 * 24 * 60 * 60


def webhook_event_processed(*, event_id: str) -> bool:
    """Whether this Stripe event was stored and handled already: Stripe delivers events at least
    once, so duplicates are common and must stay cheap.

    The database decides, with one read of the unique index in plain SQL (the ORM took ten times
    as long to build the query as the database took to answer it). An event once processed stays
    processed, so the answer "yes" is then remembered in the cache: a further duplicate touches
    no database at all, not even PostgreSQL's connection health check. A cache that lost the key
    only sends the question back to the database."""
    cache_key = f"stripe-event-processed:{event_id}"
    if cache.get(cache_key):
        return True
    connection = connections[router.db_for_read(WebhookEvent)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {connection.ops.quote_name(WebhookEvent._meta.db_table)} "
            "WHERE event_id = %s AND processed_at IS NOT NULL",
            [event_id],
        )
        processed = cursor.fetchone() is not None
    if processed:
        cache.set(cache_key, True, PROCESSED_EVENT_CACHE_SECONDS)
    return processed
