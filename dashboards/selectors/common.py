"""What the seller, buyer and platform selectors share: which orders are sales, periods, the
"all-time from running totals, otherwise from orders" choice, KPIs, table filters and sorting."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from checkout.models import Order, SaleTotal
from checkout.selectors import (
    fee_returned_sql,
    platform_dispute_loss_sql,
    seller_dispute_loss_sql,
)
from dashboards.periods import Period, local_midnight

SALE_STATUS_CHOICES = [
    (status.value, status.label)
    for status in (
        Order.Status.PAID,
        Order.Status.PARTIALLY_REFUNDED,
        Order.Status.REFUNDED,
        Order.Status.DISPUTED,
        Order.Status.DISPUTE_LOST,
    )
]


@dataclass(frozen=True)
class SaleSort:
    """A column of the sales table a seller can sort by, in the URL as its key (`-` for
    descending); `columns` end in a unique tie-breaker so pages never overlap."""

    label: str
    columns: tuple[str, ...]
    # Money and dates sort newest/largest first on the first click.
    descending_first: bool = False


# The one list of sort keys: the form's choices, the table's headers and the ordering read it.
SALE_SORTS = {
    "date": SaleSort("Date", ("paid_at", "id"), descending_first=True),
    "course": SaleSort("Course", ("course__title", "id")),
    "buyer": SaleSort("Buyer", ("buyer__email", "id")),
    "amount": SaleSort("Amount", ("amount", "id"), descending_first=True),
    "status": SaleSort("Status", ("status", "id")),
}
DEFAULT_SALE_SORT = "-date"
# Newest first: the order of every list that offers no choice of sort.
NEWEST_FIRST = ("-paid_at", "-id")


def zero(expression):
    return Coalesce(expression, 0)


def paid_orders() -> QuerySet[Order]:
    return Order.objects.filter(paid_at__isnull=False)


def in_period(orders: QuerySet[Order], period: Period) -> QuerySet[Order]:
    if period.is_all_time:
        return orders
    return orders.filter(paid_at__gte=period.start, paid_at__lt=period.end)


# Each figure as a sum over running totals and as an aggregate over orders.
_FIGURES = {
    "count": (Sum("count"), Count("id")),
    "gross": (Sum("gross"), Sum("amount")),
    "fees": (Sum("fees"), Sum("fee_amount")),
    "refunds": (Sum("refunds"), Sum("refunded_amount")),
    "stripe_fees": (Sum("stripe_fees"), Sum("stripe_fee_amount")),
    "fees_returned": (Sum("fees_returned"), Sum(fee_returned_sql())),
    "seller_net": (Sum("seller_net"), Sum("seller_net_amount")),
    "platform_net": (Sum("platform_net"), Sum("platform_net_amount")),
    "seller_disputes": (Sum("seller_disputes"), Sum(seller_dispute_loss_sql())),
    # What the platform kept from sales: its fees less those returned and the Stripe fees it
    # bore, i.e. its net before disputes (`Order.money_recompute`).
    "platform_kept": (
        Sum(F("platform_net") + F("platform_disputes")),
        Sum(F("platform_net_amount") + platform_dispute_loss_sql()),
    ),
}
# The figures a seller's money is explained with: gross, fees, refunds, disputes and the net.
MONEY_FIGURES = ("gross", "fees", "refunds", "fees_returned", "seller_net", "seller_disputes")


def sale_figures(
    *,
    period: Period,
    group_by: tuple[str, ...],
    figures: tuple[str, ...],
    order_by: tuple[str, ...],
    **scope,
):
    """Rows of sale figures (`count` and any of `_FIGURES`) per `group_by`, narrowed by
    `scope` (e.g. `seller=`): all-time from the running totals, otherwise from the period's orders.
    Both sources answer with the same keys, so callers never branch on the period."""
    if period.is_all_time:
        source, which = SaleTotal.objects.filter(**scope), 0
    else:
        source, which = in_period(paid_orders().filter(**scope), period), 1
    annotations = {name: zero(_FIGURES[name][which]) for name in ("count", *figures)}
    # A running total can return to zero rows of nothing; orders never produce an empty group.
    return source.values(*group_by).annotate(**annotations).filter(count__gt=0).order_by(*order_by)


def _percent_change(current: int, previous: int) -> Decimal | None:
    if not previous:
        return None
    change = Decimal(current - previous) * 100 / Decimal(previous)
    return change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def average(total: int, count: int) -> int:
    """Mean in whole minor units, rounded half up."""
    return (2 * total + count) // (2 * count) if count else 0


@dataclass(frozen=True)
class MoneyFigures:
    """A seller's money for some sales, as Stripe moved it: net = gross − Stripe fees the
    seller bore − platform fees kept − refunds (`Order.money_recompute` is the rule)."""

    currency: str
    count: int
    gross: int
    fees: int
    refunds: int
    fees_returned: int = 0
    seller_net: int = 0
    # What disputes on direct charges took from the seller (amount and Stripe's dispute fee).
    seller_disputes: int = 0

    @property
    def platform_fees(self) -> int:
        """The platform fee kept: charged less what refunds gave back."""
        return self.fees - self.fees_returned

    @property
    def seller_stripe_fees(self) -> int:
        """Stripe's fees the seller bore (direct charges), the rest of the difference."""
        return (
            self.gross - self.refunds - self.platform_fees - self.seller_disputes - self.seller_net
        )

    @property
    def net(self) -> int:
        return self.seller_net


@dataclass(frozen=True)
class SalesKpis(MoneyFigures):
    previous_count: int | None = None
    previous_gross: int | None = None
    previous_net: int | None = None

    @property
    def average(self) -> int:
        return average(self.gross, self.count)

    @property
    def gross_change(self) -> Decimal | None:
        return (
            None
            if self.previous_gross is None
            else _percent_change(self.gross, self.previous_gross)
        )

    @property
    def net_change(self) -> Decimal | None:
        return None if self.previous_net is None else _percent_change(self.net, self.previous_net)

    @property
    def count_change(self) -> Decimal | None:
        return (
            None
            if self.previous_count is None
            else _percent_change(self.count, self.previous_count)
        )


def sale_kpis(*, period: Period, **scope) -> list[SalesKpis]:
    """KPIs per currency for the sales in `scope`; a bounded period also carries the previous
    period's figures (in the same query) for the change shown beside each."""
    if period.is_all_time:
        rows = sale_figures(
            period=period,
            group_by=("currency",),
            figures=MONEY_FIGURES,
            order_by=("currency",),
            **scope,
        )
        return [SalesKpis(**row) for row in rows]
    previous = period.previous
    now = Q(paid_at__gte=period.start)
    before = Q(paid_at__lt=period.start)
    rows = (
        paid_orders()
        .filter(**scope)
        .filter(paid_at__gte=previous.start, paid_at__lt=period.end)
        .values("currency")
        .annotate(
            count=Count("id", filter=now),
            gross=zero(Sum("amount", filter=now)),
            fees=zero(Sum("fee_amount", filter=now)),
            refunds=zero(Sum("refunded_amount", filter=now)),
            fees_returned=zero(Sum(fee_returned_sql(), filter=now)),
            seller_net=zero(Sum("seller_net_amount", filter=now)),
            seller_disputes=zero(Sum(seller_dispute_loss_sql(), filter=now)),
            previous_count=Count("id", filter=before),
            previous_gross=zero(Sum("amount", filter=before)),
            previous_net=zero(Sum("seller_net_amount", filter=before)),
        )
        .order_by("currency")
    )
    return [
        SalesKpis(
            currency=row["currency"],
            count=row["count"],
            gross=row["gross"],
            fees=row["fees"],
            refunds=row["refunds"],
            fees_returned=row["fees_returned"],
            seller_net=row["seller_net"],
            seller_disputes=row["seller_disputes"],
            previous_count=row["previous_count"],
            previous_gross=row["previous_gross"],
            previous_net=row["previous_net"],
        )
        for row in rows
    ]


# Membership invoices are orders without a course; per-course figures name them so.
MEMBERSHIP_ROW_TITLE = "Membership"
SALE_KIND_ONE_OFF = "one_off"
SALE_KIND_MEMBERSHIP = "membership"


@dataclass(frozen=True)
class SaleFilters:
    """What the sales and purchases tables are narrowed to; dates are local, inclusive."""

    zone: ZoneInfo
    course_id: int | None = None
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""
    sort: str = DEFAULT_SALE_SORT
    kind: str = ""  # SALE_KIND_ONE_OFF, SALE_KIND_MEMBERSHIP or "" for both


def sales_filtered(orders: QuerySet[Order], filters: SaleFilters) -> QuerySet[Order]:
    if filters.course_id:
        orders = orders.filter(course_id=filters.course_id)
    # A membership invoice's sale is linked to its membership, a one-off sale to its course (an
    # order has exactly one of the two). Each kind is asked for by the column it has, not by the
    # other one's absence: "membership IS NULL" sent SQLite through the membership index, one
    # probe per one-off sale on the whole platform, while "course IS NOT NULL" is read from the
    # seller's (seller, paid_at, …, course) index; membership sales have a partial index.
    if filters.kind == SALE_KIND_MEMBERSHIP:
        orders = orders.filter(membership__isnull=False)
    elif filters.kind == SALE_KIND_ONE_OFF:
        orders = orders.filter(course__isnull=False)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.date_from:
        orders = orders.filter(paid_at__gte=local_midnight(filters.date_from, filters.zone))
    if filters.date_to:
        next_day = filters.date_to + dt.timedelta(days=1)
        orders = orders.filter(paid_at__lt=local_midnight(next_day, filters.zone))
    return orders


def sales_sorted(orders: QuerySet[Order], sort: str) -> QuerySet[Order]:
    """Ordered by a key of SALE_SORTS; an unknown key falls back to newest first."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key not in SALE_SORTS:
        key, descending = "date", True
    columns = SALE_SORTS[key].columns
    return orders.order_by(*(f"-{column}" if descending else column for column in columns))
