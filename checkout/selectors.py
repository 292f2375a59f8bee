import re
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import StripeAccount, User
from catalog.models import Course
from checkout.models import ACCESS_STATUSES, Order, StripeCustomer

# A session this close to expiry is not worth sending a buyer to: they would not finish in time.
CHECKOUT_REUSE_MARGIN = timedelta(minutes=5)

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
    """Course content is for its paying buyers (not fully refunded), its seller and staff."""
    if not user.is_authenticated:
        return False
    if user.is_staff or course.seller_id == user.pk:
        return True
    return Order.objects.filter(buyer=user, course=course, status__in=ACCESS_STATUSES).exists()


@dataclass(frozen=True)
class BuyBox:
    owned: bool
    is_seller: bool
    open_order: Order | None


def course_buy_box(*, course: Course, user: User) -> BuyBox:
    """What the course page's buy box offers this visitor."""
    if not user.is_authenticated:
        return BuyBox(owned=False, is_seller=False, open_order=None)
    return BuyBox(
        owned=Order.objects.filter(buyer=user, course=course, status__in=ACCESS_STATUSES).exists(),
        is_seller=course.seller_id == user.pk,
        open_order=order_get_open_checkout(buyer=user, course=course),
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


def order_get_open_checkout(*, buyer: User, course: Course) -> Order | None:
    """The buyer's pending order whose Checkout page can still be finished, if any."""
    latest = order_get_latest_pending(buyer=buyer, course=course)
    return latest if latest is not None and order_checkout_reusable(order=latest) else None


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


def order_refund_blocked_reason(*, order: Order) -> str:
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


def order_can_refund(*, order: Order, user: User) -> bool:
    return user.is_authenticated and (user.is_staff or order.seller_id == user.pk)


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
