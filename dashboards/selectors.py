"""Reads behind the dashboards. Every figure is a database aggregate grouped by currency.

Amounts in different currencies are never added together: each function returns one row per
currency (or per currency and something else), and the pages show them side by side.

A sale is an order with `paid_at` set, whatever happened to it afterwards (paid, partially
refunded, refunded or disputed). Refunds are counted against the period of the sale they refund.
Platform fees are shown as charged; a fee Stripe returns along with a refund is not deducted.

All-time totals read `SaleTotal` (running totals per seller, course, currency and charge type that
checkout's services keep in step with the orders) rather than every order, so they cost the same
after ten years of sales as after one month.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate

from accounts.models import User
from checkout.models import Order, Refund, SaleTotal
from dashboards.periods import Period, local_midnight

SALES_PER_PAGE = 25
NEW_SALES_LIMIT = 20
# Longer periods are charted by month so the chart and its table stay readable.
DAILY_CHART_MAX_DAYS = 92
# Longer still (a history of years) is charted by year.
CHART_MAX_MONTHS = 24

SALE_STATUS_CHOICES = [
    (status.value, status.label)
    for status in (
        Order.Status.PAID,
        Order.Status.PARTIALLY_REFUNDED,
        Order.Status.REFUNDED,
        Order.Status.DISPUTED,
    )
]
# Sort keys offered in the URL, each mapped to columns ending in a unique tie-breaker.
SALE_SORTS = {
    "date": ("paid_at", "id"),
    "amount": ("amount", "id"),
    "course": ("course__title", "id"),
    "buyer": ("buyer__email", "id"),
    "status": ("status", "id"),
}
DEFAULT_SALE_SORT = "-date"


def _zero(expression):
    return Coalesce(expression, 0)


def _sales() -> QuerySet[Order]:
    return Order.objects.filter(paid_at__isnull=False)


def _in_period(sales: QuerySet[Order], period: Period) -> QuerySet[Order]:
    if period.is_all_time:
        return sales
    return sales.filter(paid_at__gte=period.start, paid_at__lt=period.end)


def _percent_change(current: int, previous: int) -> Decimal | None:
    if not previous:
        return None
    change = Decimal(current - previous) * 100 / Decimal(previous)
    return change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _average(total: int, count: int) -> int:
    """Mean in whole minor units, rounded half up."""
    return (2 * total + count) // (2 * count) if count else 0


@dataclass(frozen=True)
class SalesKpis:
    currency: str
    count: int
    gross: int
    fees: int
    refunds: int
    previous_count: int | None = None
    previous_gross: int | None = None
    previous_net: int | None = None

    @property
    def net(self) -> int:
        return self.gross - self.fees - self.refunds

    @property
    def average(self) -> int:
        return _average(self.gross, self.count)

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


def _all_time_kpis(totals: QuerySet[SaleTotal]) -> list[SalesKpis]:
    rows = (
        totals.values("currency")
        .annotate(
            count=_zero(Sum("count")),
            gross=_zero(Sum("gross")),
            fees=_zero(Sum("fees")),
            refunds=_zero(Sum("refunds")),
        )
        .filter(count__gt=0)
        .order_by("currency")
    )
    return [SalesKpis(**row) for row in rows]


def _kpis(sales: QuerySet[Order], period: Period) -> list[SalesKpis]:
    """One query: this period's totals and the previous period's, per currency."""
    previous = period.previous
    now = Q(paid_at__gte=period.start)
    before = Q(paid_at__lt=period.start)
    rows = (
        sales.filter(paid_at__gte=previous.start, paid_at__lt=period.end)
        .values("currency")
        .annotate(
            count=Count("id", filter=now),
            gross=_zero(Sum("amount", filter=now)),
            fees=_zero(Sum("fee_amount", filter=now)),
            refunds=_zero(Sum("refunded_amount", filter=now)),
            previous_count=Count("id", filter=before),
            previous_gross=_zero(Sum("amount", filter=before)),
            previous_fees=_zero(Sum("fee_amount", filter=before)),
            previous_refunds=_zero(Sum("refunded_amount", filter=before)),
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
            previous_count=row["previous_count"],
            previous_gross=row["previous_gross"],
            previous_net=row["previous_gross"] - row["previous_fees"] - row["previous_refunds"],
        )
        for row in rows
    ]


def sale_kpis_for_seller(*, seller: User, period: Period) -> list[SalesKpis]:
    if period.is_all_time:
        return _all_time_kpis(SaleTotal.objects.filter(seller=seller))
    return _kpis(_sales().filter(seller=seller), period)


@dataclass(frozen=True)
class RevenuePoint:
    day: dt.date
    count: int
    gross: int
    refunds: int


@dataclass(frozen=True)
class RevenueSeries:
    currency: str
    by_month: bool
    points: list[RevenuePoint] = field(default_factory=list)
    by_year: bool = False

    @property
    def unit(self) -> str:
        return "year" if self.by_year else "month" if self.by_month else "day"

    @property
    def total(self) -> int:
        return sum(point.gross for point in self.points)


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _local_bucket(starts: list[dt.date], zone: ZoneInfo):
    """The index of the bucket a sale falls in, compared in SQL against each bucket's local
    midnight: no per-row time zone conversion, which SQLite does in Python for every row."""
    if len(starts) == 1:
        return Value(0)
    return Case(
        *(
            When(paid_at__lt=local_midnight(start, zone), then=Value(index))
            for index, start in enumerate(starts[1:])
        ),
        default=Value(len(starts) - 1),
    )


def sale_revenue_series_for_seller(
    *, seller: User, period: Period, today: dt.date
) -> list[RevenueSeries]:
    """Gross sales per local day, one series per currency; per local month for periods longer
    than DAILY_CHART_MAX_DAYS, and per local year when that would be more than CHART_MAX_MONTHS
    bars (a long history), so the chart's size does not grow with the seller's history.

    Days without sales are filled in with zeros so the chart's bars line up with the calendar.
    """
    sales = _in_period(_sales().filter(seller=seller), period)
    if period.days is not None and period.days <= DAILY_CHART_MAX_DAYS:
        return _daily_series(sales, period, today)
    first = period.first_day
    if first is None:
        oldest = sales.aggregate(oldest=Min("paid_at"))["oldest"]
        if oldest is None:
            return []
        first = oldest.astimezone(period.zone).date()
    last = max(period.last_day or today, first)
    starts = _month_starts(first, last)
    by_year = len(starts) > CHART_MAX_MONTHS
    if by_year:
        starts = [dt.date(year, 1, 1) for year in range(first.year, last.year + 1)]
    rows = (
        sales.annotate(bucket=_local_bucket(starts, period.zone))
        .values("bucket", "currency")
        .annotate(
            count=Count("id"),
            gross=_zero(Sum("amount")),
            refunds=_zero(Sum("refunded_amount")),
        )
        .order_by("bucket", "currency")
    )
    found: dict[str, dict[int, RevenuePoint]] = defaultdict(dict)
    for row in rows:
        found[row["currency"]][row["bucket"]] = RevenuePoint(
            day=starts[row["bucket"]],
            count=row["count"],
            gross=row["gross"],
            refunds=row["refunds"],
        )
    return [
        RevenueSeries(
            currency=currency,
            by_month=not by_year,
            by_year=by_year,
            points=[
                points.get(index, RevenuePoint(day=start, count=0, gross=0, refunds=0))
                for index, start in enumerate(starts)
            ],
        )
        for currency, points in sorted(found.items())
    ]


def _daily_series(sales: QuerySet[Order], period: Period, today: dt.date) -> list[RevenueSeries]:
    rows = (
        sales.annotate(bucket=TruncDate("paid_at", tzinfo=period.zone))
        .values("bucket", "currency")
        .annotate(
            count=Count("id"),
            gross=_zero(Sum("amount")),
            refunds=_zero(Sum("refunded_amount")),
        )
        .order_by("bucket", "currency")
    )
    found: dict[str, dict[dt.date, RevenuePoint]] = defaultdict(dict)
    for row in rows:
        bucket = row["bucket"]
        found[row["currency"]][bucket] = RevenuePoint(
            day=bucket, count=row["count"], gross=row["gross"], refunds=row["refunds"]
        )
    if not found:
        return []
    first, last = period.first_day, period.last_day or today
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return [
        RevenueSeries(
            currency=currency,
            by_month=False,
            points=[
                points.get(day, RevenuePoint(day=day, count=0, gross=0, refunds=0)) for day in days
            ],
        )
        for currency, points in sorted(found.items())
    ]


# Membership invoices are orders without a course; the per-course table names them so.
MEMBERSHIP_ROW_TITLE = "Membership"
SALE_KIND_ONE_OFF = "one_off"
SALE_KIND_MEMBERSHIP = "membership"


@dataclass(frozen=True)
class CourseTotals:
    course_id: int | None
    title: str
    currency: str
    count: int
    gross: int
    fees: int
    refunds: int

    @property
    def net(self) -> int:
        return self.gross - self.fees - self.refunds


def sale_totals_by_course_for_seller(*, seller: User, period: Period) -> list[CourseTotals]:
    if period.is_all_time:
        rows = (
            SaleTotal.objects.filter(seller=seller)
            .values("course_id", "course__title", "currency")
            .annotate(
                count=_zero(Sum("count")),
                gross=_zero(Sum("gross")),
                fees=_zero(Sum("fees")),
                refunds=_zero(Sum("refunds")),
            )
            .filter(count__gt=0)
            .order_by("course__title", "course_id", "currency")
        )
        return _course_totals(rows)
    rows = (
        _in_period(_sales().filter(seller=seller), period)
        .values("course_id", "course__title", "currency")
        .annotate(
            count=Count("id"),
            gross=_zero(Sum("amount")),
            fees=_zero(Sum("fee_amount")),
            refunds=_zero(Sum("refunded_amount")),
        )
        .order_by("course__title", "course_id", "currency")
    )
    return _course_totals(rows)


def _course_totals(rows) -> list[CourseTotals]:
    return [
        CourseTotals(
            course_id=row["course_id"],
            title=row["course__title"] or MEMBERSHIP_ROW_TITLE,  # memberships have no course
            currency=row["currency"],
            count=row["count"],
            gross=row["gross"],
            fees=row["fees"],
            refunds=row["refunds"],
        )
        for row in rows
    ]


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
    kind: str = ""  # "one_off", "membership" or "" for both


def _filtered(sales: QuerySet[Order], filters: SaleFilters) -> QuerySet[Order]:
    if filters.course_id:
        sales = sales.filter(course_id=filters.course_id)
    if filters.kind:  # memberships: an invoice's sale is an order linked to its membership
        sales = sales.filter(membership__isnull=filters.kind != SALE_KIND_MEMBERSHIP)
    if filters.status:
        sales = sales.filter(status=filters.status)
    if filters.date_from:
        sales = sales.filter(paid_at__gte=local_midnight(filters.date_from, filters.zone))
    if filters.date_to:
        next_day = filters.date_to + dt.timedelta(days=1)
        sales = sales.filter(paid_at__lt=local_midnight(next_day, filters.zone))
    return sales


def _sorted(sales: QuerySet[Order], sort: str) -> QuerySet[Order]:
    descending = sort.startswith("-")
    columns = SALE_SORTS.get(sort.lstrip("-"), SALE_SORTS["date"])
    if sort.lstrip("-") not in SALE_SORTS:
        descending = True
    return sales.order_by(*(f"-{column}" if descending else column for column in columns))


def sale_list_for_seller(*, seller: User, filters: SaleFilters) -> QuerySet[Order]:
    sales = _filtered(_sales().filter(seller=seller), filters)
    if filters.search:
        # The start of the email, not any substring: emails are stored lowercase, and a prefix
        # can use an index (PostgreSQL's pattern index on the email; the (seller, buyer, paid_at)
        # index on orders), where a substring makes the database test every buyer's email.
        sales = sales.filter(buyer__email__startswith=filters.search.lower())
    sales = sales.select_related("course", "buyer").annotate(
        net=F("amount") - F("fee_amount") - F("refunded_amount")
    )
    return _sorted(sales, filters.sort)


def sale_course_choices_for_seller(*, seller: User) -> list[tuple[int, str]]:
    return list(seller.courses.order_by("title", "id").values_list("id", "title"))


def sale_latest_paid_at_for_seller(*, seller: User) -> dt.datetime | None:
    return _sales().filter(seller=seller).aggregate(latest=Max("paid_at"))["latest"]


def sale_list_new_for_seller(*, seller: User, since: dt.datetime | None) -> list[Order]:
    """Sales paid after `since`, newest first: what the open dashboard has not shown yet."""
    sales = _sales().filter(seller=seller)
    if since is not None:
        sales = sales.filter(paid_at__gt=since)
    return list(
        sales.select_related("course", "buyer").order_by("-paid_at", "-id")[:NEW_SALES_LIMIT]
    )


def sale_get_visible(*, pk: int, user: User) -> Order | None:
    """A sale its seller or staff may open; None for anyone else, so its existence does not leak."""
    sales = _sales().select_related("course", "buyer", "seller")
    if not user.is_staff:
        sales = sales.filter(seller=user)
    return sales.filter(pk=pk).first()


def refund_list_for_order(*, order: Order) -> list[Refund]:
    return list(order.refunds.order_by("created_at", "id"))


# --- Buyer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendingTotal:
    currency: str
    count: int
    paid: int
    refunded: int

    @property
    def spent(self) -> int:
        return self.paid - self.refunded


def purchase_list_for_buyer(*, buyer: User, filters: SaleFilters) -> QuerySet[Order]:
    purchases = _filtered(_sales().filter(buyer=buyer), filters)
    if filters.search:
        purchases = purchases.filter(course__title__icontains=filters.search)
    return purchases.select_related("course", "seller").order_by("-paid_at", "-id")


def purchase_totals_for_buyer(*, buyer: User) -> list[SpendingTotal]:
    rows = (
        _sales()
        .filter(buyer=buyer)
        .values("currency")
        .annotate(
            count=Count("id"), paid=_zero(Sum("amount")), refunded=_zero(Sum("refunded_amount"))
        )
        .order_by("currency")
    )
    return [SpendingTotal(**row) for row in rows]


def purchase_get_visible(*, pk: int, user: User) -> Order | None:
    """A purchase its buyer or staff may open; None for anyone else."""
    purchases = _sales().select_related("course", "seller", "buyer")
    if not user.is_staff:
        purchases = purchases.filter(buyer=user)
    return purchases.filter(pk=pk).first()


# --- Platform (staff) -----------------------------------------------------------------------


def platform_kpis(*, period: Period) -> list[SalesKpis]:
    if period.is_all_time:
        return _all_time_kpis(SaleTotal.objects.all())
    return _kpis(_sales(), period)


@dataclass(frozen=True)
class FeeTotal:
    charge_type: str
    charge_type_label: str
    currency: str
    count: int
    fees: int


def platform_fees_by_charge_type(*, period: Period) -> list[FeeTotal]:
    labels = dict(Order.ChargeType.choices)
    if period.is_all_time:
        rows = (
            SaleTotal.objects.values("charge_type", "currency")
            .annotate(count=_zero(Sum("count")), fees=_zero(Sum("fees")))
            .filter(count__gt=0)
            .order_by("charge_type", "currency")
        )
    else:
        rows = (
            _in_period(_sales(), period)
            .values("charge_type", "currency")
            .annotate(count=Count("id"), fees=_zero(Sum("fee_amount")))
            .order_by("charge_type", "currency")
        )
    return [
        FeeTotal(charge_type_label=labels.get(row["charge_type"], row["charge_type"]), **row)
        for row in rows
    ]


@dataclass(frozen=True)
class SellerTotal:
    seller_id: int
    email: str
    name: str
    currency: str
    count: int
    gross: int
    fees: int


def platform_top_sellers(*, period: Period, limit: int = 10) -> list[SellerTotal]:
    """Sellers with the most sales, one row per seller and currency (counts compare; money not)."""
    if period.is_all_time:
        rows = (
            SaleTotal.objects.values("seller_id", "seller__email", "seller__full_name", "currency")
            .annotate(count=_zero(Sum("count")), gross=_zero(Sum("gross")), fees=_zero(Sum("fees")))
            .filter(count__gt=0)
            .order_by("-count", "seller__email", "currency")[:limit]
        )
    else:
        rows = (
            _in_period(_sales(), period)
            .values("seller_id", "seller__email", "seller__full_name", "currency")
            .annotate(count=Count("id"), gross=_zero(Sum("amount")), fees=_zero(Sum("fee_amount")))
            .order_by("-count", "seller__email", "currency")[:limit]
        )
    return [
        SellerTotal(
            seller_id=row["seller_id"],
            email=row["seller__email"],
            name=row["seller__full_name"],
            currency=row["currency"],
            count=row["count"],
            gross=row["gross"],
            fees=row["fees"],
        )
        for row in rows
    ]


def _pending_sellers() -> QuerySet[User]:
    return User.objects.filter(is_seller=True).filter(
        Q(stripe_account__isnull=True)
        | Q(stripe_account__charges_enabled=False)
        | Q(stripe_account__disconnected_at__isnull=False)
    )


def platform_pending_sellers(*, limit: int = 20) -> tuple[list[User], int]:
    """Sellers who cannot take payments yet (no account, charges off, or disconnected)."""
    sellers = _pending_sellers()
    page = list(sellers.select_related("stripe_account").order_by("date_joined", "id")[:limit])
    return page, sellers.count()


@dataclass(frozen=True)
class RefundTotal:
    currency: str
    count: int
    amount: int


def platform_refund_totals(*, period: Period) -> list[RefundTotal]:
    """Refunds made in the period (by refund date), per currency; failed attempts left out."""
    refunds = Refund.objects.exclude(status__in=Refund.VOID_STATUSES)
    if not period.is_all_time:
        refunds = refunds.filter(created_at__gte=period.start, created_at__lt=period.end)
    rows = (
        refunds.values("currency")
        .annotate(count=Count("id"), amount=_zero(Sum("amount")))
        .order_by("currency")
    )
    return [RefundTotal(**row) for row in rows]


def platform_dispute_totals() -> list[RefundTotal]:
    """Sales disputed right now, per currency, whenever they were made."""
    rows = (
        _sales()
        .filter(status=Order.Status.DISPUTED)
        .values("currency")
        .annotate(count=Count("id"), amount=_zero(Sum("amount")))
        .order_by("currency")
    )
    return [RefundTotal(**row) for row in rows]


def platform_recent_disputes(*, limit: int = 10) -> list[Order]:
    return list(
        _sales()
        .filter(status=Order.Status.DISPUTED)
        .select_related("course", "seller", "buyer")
        .order_by("-paid_at", "-id")[:limit]
    )
