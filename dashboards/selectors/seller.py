"""What a seller's dashboard reads: KPIs, the revenue chart, per-course totals, the sales table,
the new-sales poll and one sale's page. Every query is narrowed to the seller's own sales."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Max, Min, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate

from accounts.models import User
from checkout.models import Order, Refund
from dashboards.periods import Period, local_midnight
from dashboards.selectors.common import (
    MEMBERSHIP_ROW_TITLE,
    MONEY_FIGURES,
    NEWEST_FIRST,
    MoneyFigures,
    SaleFilters,
    SalesKpis,
    in_period,
    paid_orders,
    sale_figures,
    sale_kpis,
    sales_filtered,
    sales_sorted,
    zero,
)

SALES_PER_PAGE = 25
NEW_SALES_LIMIT = 20
# Longer periods are charted by month so the chart and its table stay readable.
DAILY_CHART_MAX_DAYS = 92
# Longer still (a history of years) is charted by year.
CHART_MAX_MONTHS = 24


def sale_kpis_for_seller(*, seller: User, period: Period) -> list[SalesKpis]:
    return sale_kpis(period=period, seller=seller)


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
    sales = in_period(paid_orders().filter(seller=seller), period)
    if period.days is not None and period.days <= DAILY_CHART_MAX_DAYS:
        return _daily_series(sales, period)
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
            gross=zero(Sum("amount")),
            refunds=zero(Sum("refunded_amount")),
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


def _daily_series(sales: QuerySet[Order], period: Period) -> list[RevenueSeries]:
    # Only periods with both ends come here (`period.days` is set).
    rows = (
        sales.annotate(bucket=TruncDate("paid_at", tzinfo=period.zone))
        .values("bucket", "currency")
        .annotate(
            count=Count("id"),
            gross=zero(Sum("amount")),
            refunds=zero(Sum("refunded_amount")),
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
    first, last = period.first_day, period.last_day
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


@dataclass(frozen=True)
class CourseTotals(MoneyFigures):
    title: str = ""


def sale_totals_by_course_for_seller(*, seller: User, period: Period) -> list[CourseTotals]:
    rows = sale_figures(
        period=period,
        group_by=("course_id", "course__title", "currency"),
        figures=MONEY_FIGURES,
        order_by=("course__title", "course_id", "currency"),
        seller=seller,
    )
    return [
        CourseTotals(
            title=row["course__title"] or MEMBERSHIP_ROW_TITLE,  # memberships have no course
            currency=row["currency"],
            count=row["count"],
            **{name: row[name] for name in MONEY_FIGURES},
        )
        for row in rows
    ]


def sale_list_for_seller(*, seller: User, filters: SaleFilters) -> QuerySet[Order]:
    sales = sales_filtered(paid_orders().filter(seller=seller), filters)
    if filters.search:
        # The start of the email, not any substring: emails are stored lowercase, and a prefix
        # can use an index (PostgreSQL's pattern index on the email; the (seller, buyer, paid_at)
        # index on orders), where a substring makes the database test every buyer's email.
        sales = sales.filter(buyer__email__startswith=filters.search.lower())
    # The seller too: a membership sale's title is "<seller>'s membership".
    sales = sales.select_related("course", "buyer", "seller").annotate(net=F("seller_net_amount"))
    return sales_sorted(sales, filters.sort)


# What a row of the sales table draws, figures included. Loading the order, buyer, course and
# seller rows whole cost more per row than drawing them, and a page's cost grows with its rows.
SALE_TABLE_FIELDS = (
    "paid_at",
    "status",
    "charge_type",
    "amount",
    "currency",
    "fee_amount",
    "fee_refunded_amount",
    "refunded_amount",
    "transfer_reversed_amount",
    "stripe_fee_amount",
    "course__title",
    "buyer__email",
    "seller__full_name",
    "seller__email",
)


def sale_table_rows(sales: QuerySet[Order]) -> QuerySet[Order]:
    """`sale_list_for_seller` narrowed to what the table shows (the CSV reads every field)."""
    return sales.only(*SALE_TABLE_FIELDS)


def sale_course_choices_for_seller(*, seller: User) -> list[tuple[int, str]]:
    return list(seller.courses.order_by("title", "id").values_list("id", "title"))


def sale_latest_paid_at_for_seller(*, seller: User) -> dt.datetime | None:
    return paid_orders().filter(seller=seller).aggregate(latest=Max("paid_at"))["latest"]


def sale_list_new_for_seller(*, seller: User, since: dt.datetime | None) -> list[Order]:
    """Sales paid after `since`, newest first: what the open dashboard has not shown yet."""
    sales = paid_orders().filter(seller=seller)
    if since is not None:
        sales = sales.filter(paid_at__gt=since)
    sales = sales.select_related("course", "buyer", "seller")
    return list(sales.order_by(*NEWEST_FIRST)[:NEW_SALES_LIMIT])


def sale_get_visible(*, pk: int, user: User) -> Order | None:
    """A sale its seller or staff may open; None for anyone else, so its existence does not leak."""
    sales = paid_orders().select_related("course", "buyer", "seller")
    if not user.is_staff:
        sales = sales.filter(seller=user)
    return sales.filter(pk=pk).first()


def refund_list_for_order(*, order: Order) -> list[Refund]:
    return list(order.refunds.order_by("created_at", "id"))
