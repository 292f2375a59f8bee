"""What a buyer's purchases page reads: their purchases, what they spent, one purchase."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import User
from checkout.models import Order
from dashboards.selectors.common import NEWEST_FIRST, SaleFilters, paid_orders, sales_filtered, zero

# A membership invoice is a sale with no course: counted as a payment, never as a course.
MEMBERSHIP_PAYMENT = Q(membership__isnull=False)


@dataclass(frozen=True)
class SpendingTotal:
    """What a buyer spent in one currency: on how many courses, and on how many membership
    payments (each paid invoice of a subscription, renewals included)."""

    currency: str
    course_count: int
    membership_payment_count: int
    paid: int
    refunded: int

    @property
    def spent(self) -> int:
        return self.paid - self.refunded


def purchase_list_for_buyer(*, buyer: User, filters: SaleFilters) -> QuerySet[Order]:
    purchases = sales_filtered(paid_orders().filter(buyer=buyer), filters)
    if filters.search:
        purchases = purchases.filter(course__title__icontains=filters.search)
    return purchases.select_related("course", "seller").order_by(*NEWEST_FIRST)


def purchase_totals_for_buyer(*, buyer: User) -> list[SpendingTotal]:
    rows = (
        paid_orders()
        .filter(buyer=buyer)
        .values("currency")
        .annotate(
            course_count=Count("id", filter=~MEMBERSHIP_PAYMENT),
            membership_payment_count=Count("id", filter=MEMBERSHIP_PAYMENT),
            paid=zero(Sum("amount")),
            refunded=zero(Sum("refunded_amount")),
        )
        .order_by("currency")
    )
    return [SpendingTotal(**row) for row in rows]


def purchase_get_visible(*, pk: int, user: User) -> Order | None:
    """A purchase its buyer or staff may open; None for anyone else."""
    purchases = paid_orders().select_related("course", "seller", "buyer")
    if not user.is_staff:
        purchases = purchases.filter(buyer=user)
    return purchases.filter(pk=pk).first()
