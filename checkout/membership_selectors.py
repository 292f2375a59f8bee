"""Reads about memberships: who is a member, what a course page offers, what a buyer holds.

The access rule lives here once: an active membership, or one whose renewal failed less than
`MEMBERSHIP_GRACE_DAYS` ago, unlocks every published course of its seller.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import StripeAccount, User
from catalog.models import Course
from catalog.selectors import seller_sale_blocker
from checkout.models import Membership, MembershipOffer, Order

# Stripe statuses mapped onto ours; anything else (incomplete) is still waiting for payment.
STRIPE_STATUSES = {
    "active": Membership.Status.ACTIVE,
    "trialing": Membership.Status.ACTIVE,
    "past_due": Membership.Status.PAST_DUE,
    "unpaid": Membership.Status.PAST_DUE,
    "canceled": Membership.Status.CANCELED,
    "incomplete_expired": Membership.Status.CANCELED,
}
# Memberships that hold (or may soon hold) a live subscription: a buyer has one per seller.
OPEN_STATUSES = (Membership.Status.ACTIVE, Membership.Status.PAST_DUE)


def membership_grace_period() -> timedelta:
    return timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)


def membership_access_q(*, now=None) -> Q:
    """Memberships that open their seller's courses right now.

    Active: until the paid period ends (plus the grace period, so a renewal whose webhook is
    late does not lock anyone out). Past due: for the grace period after the failure.
    """
    now = now or timezone.now()
    grace = membership_grace_period()
    return Q(status=Membership.Status.ACTIVE, current_period_end__gt=now - grace) | Q(
        status=Membership.Status.PAST_DUE, past_due_since__gt=now - grace
    )


def membership_grants_access(*, membership: Membership) -> bool:
    return Membership.objects.filter(membership_access_q(), pk=membership.pk).exists()


def membership_is_member(*, user: User, seller_id: int) -> bool:
    """Whether the user's membership with this seller opens their courses right now."""
    if not user.is_authenticated:
        return False
    return (
        Membership.objects.filter(buyer=user, seller_id=seller_id)
        .filter(membership_access_q())
        .exists()
    )


def membership_unlocks_course(*, course: Course, user: User) -> bool:
    return course.is_published and membership_is_member(user=user, seller_id=course.seller_id)


def membership_charge_type(*, seller: User) -> str:
    """Stripe's guidance, as for courses sold automatically: Standard accounts take direct
    charges, Express and Custom destination charges. Separate charges and transfers do not
    fit subscriptions (each renewal would need the app to transfer), so they are not offered."""
    account = getattr(seller, "stripe_account", None)
    if account is not None and account.account_type == StripeAccount.AccountType.STANDARD:
        return Order.ChargeType.DIRECT
    return Order.ChargeType.DESTINATION


def membership_sale_blocker(*, seller: User) -> str | None:
    """Why the seller's membership cannot be bought now: the courses' rule."""
    return seller_sale_blocker(seller=seller)


def membership_offer_for_seller(*, seller: User, currency: str = "") -> MembershipOffer | None:
    offers = MembershipOffer.objects.filter(seller=seller, is_active=True)
    if currency:
        offers = offers.filter(currency=currency)
    return offers.order_by("currency").first()


def membership_offer_list_for_seller(*, seller: User) -> QuerySet[MembershipOffer]:
    return MembershipOffer.objects.filter(seller=seller).order_by("currency")


def membership_open_for(*, buyer: User, seller: User) -> Membership | None:
    """The buyer's live membership with this seller (active or past due), if any."""
    return (
        Membership.objects.filter(buyer=buyer, seller=seller, status__in=OPEN_STATUSES)
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class MembershipBox:
    """What a course page says about its seller's membership to this visitor."""

    offer: MembershipOffer
    is_member: bool
    is_seller: bool
    available: bool


def membership_box_for_course(*, course: Course, user: User) -> MembershipBox | None:
    """The seller's membership in the course's currency (else any), or None when there is none."""
    offer = membership_offer_for_seller(
        seller=course.seller, currency=course.currency
    ) or membership_offer_for_seller(seller=course.seller)
    if offer is None:
        return None
    return MembershipBox(
        offer=offer,
        is_member=membership_unlocks_course(course=course, user=user),
        is_seller=user.is_authenticated and course.seller_id == user.pk,
        available=membership_sale_blocker(seller=course.seller) is None,
    )


def membership_box_for_seller(*, seller: User, user: User) -> MembershipBox | None:
    """The seller's membership on their own page (the first currency offered), or None."""
    offer = membership_offer_for_seller(seller=seller)
    if offer is None:
        return None
    return MembershipBox(
        offer=offer,
        is_member=membership_is_member(user=user, seller_id=seller.pk),
        is_seller=user.is_authenticated and seller.pk == user.pk,
        available=membership_sale_blocker(seller=seller) is None,
    )


def membership_get_for_buyer(*, buyer: User, pk: int) -> Membership | None:
    return Membership.objects.select_related("seller", "offer").filter(buyer=buyer, pk=pk).first()


def membership_get_by_session(*, buyer: User, session_id: str) -> Membership | None:
    return (
        Membership.objects.select_related("seller")
        .filter(buyer=buyer, checkout_session_id=session_id)
        .first()
    )


@dataclass(frozen=True)
class MembershipRow:
    """One membership on the buyer's purchases page, with what may be done to it."""

    membership: Membership
    has_access: bool
    grace_ends_at: datetime | None  # past due: when access stops unless the card is fixed
    can_cancel: bool
    can_resume: bool
    can_update_card: bool


def membership_list_for_buyer(*, buyer: User) -> list[MembershipRow]:
    """A buyer's memberships worth showing: every one that was ever paid for."""
    memberships = (
        Membership.objects.filter(buyer=buyer)
        .exclude(status__in=[Membership.Status.PENDING, Membership.Status.ABANDONED])
        .select_related("seller")
        .order_by("-created_at", "-id")
    )
    with_access = set(
        Membership.objects.filter(buyer=buyer)
        .filter(membership_access_q())
        .values_list("pk", flat=True)
    )
    rows = []
    for membership in memberships:
        is_open = membership.status in OPEN_STATUSES and bool(membership.subscription_id)
        past_due = membership.status == Membership.Status.PAST_DUE
        rows.append(
            MembershipRow(
                membership=membership,
                has_access=membership.pk in with_access,
                grace_ends_at=(
                    membership.past_due_since + membership_grace_period()
                    if past_due and membership.past_due_since
                    else None
                ),
                can_cancel=is_open and not membership.cancel_at_period_end,
                can_resume=is_open and membership.cancel_at_period_end,
                can_update_card=is_open and past_due,
            )
        )
    return rows


def membership_list_to_reconcile() -> QuerySet[Membership]:
    """Memberships Stripe may know more about: open checkouts and live subscriptions."""
    return Membership.objects.filter(
        Q(status=Membership.Status.PENDING, checkout_session_id__isnull=False)
        | Q(status__in=OPEN_STATUSES)
    ).order_by("created_at")


def membership_courses(*, seller: User) -> QuerySet[Course]:
    return Course.objects.filter(seller=seller, is_published=True).order_by("title", "id")
