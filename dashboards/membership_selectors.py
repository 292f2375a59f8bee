"""Membership figures for the seller's and the platform's dashboards (reads only).

Per currency, never added across currencies: members with a live subscription (active, or past
due and still being retried), monthly recurring revenue (a yearly price counts as a twelfth of
it per month, rounded half up once per currency), members who joined and who left in the period,
and what the platform earned from membership invoices. Two grouped queries whatever the number of
members: the memberships, and the invoices' sales.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import User
from checkout.models import Membership, Order, SaleTotal
from dashboards.periods import Period

LIVE_STATUSES = (Membership.Status.ACTIVE, Membership.Status.PAST_DUE)


@dataclass(frozen=True)
class MembershipFigures:
    currency: str
    active_members: int
    mrr: int  # minor units per month
    new_members: int
    churned_members: int
    gross: int  # membership invoices paid in the period
    fees: int


def _between(field: str, period: Period) -> Q:
    if period.is_all_time:
        return Q(**{f"{field}__isnull": False})
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _figures(
    *, memberships: QuerySet[Membership], invoices: dict[str, tuple[int, int]], period: Period
) -> list[MembershipFigures]:
    live: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "month": 0, "year": 0})
    moves: dict[str, dict[str, int]] = defaultdict(lambda: {"new": 0, "churned": 0})
    is_live = Q(status__in=LIVE_STATUSES)
    for row in (
        memberships.values("currency", "interval")
        .annotate(
            count=Count("id", filter=is_live),
            amount=Sum("amount", filter=is_live),
            new=Count("id", filter=_between("started_at", period)),
            churned=Count("id", filter=_between("ended_at", period)),
        )
        .order_by()
    ):
        currency = row["currency"]
        live[currency]["count"] += row["count"]
        live[currency][row["interval"]] += row["amount"] or 0
        moves[currency]["new"] += row["new"]
        moves[currency]["churned"] += row["churned"]
    currencies = sorted(
        {c for c, bucket in live.items() if bucket["count"]}
        | {c for c, move in moves.items() if move["new"] or move["churned"]}
        | set(invoices)
    )
    figures = []
    for currency in currencies:
        bucket = live[currency]
        mrr = bucket["month"] + int(
            (Decimal(bucket["year"]) / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        move = moves[currency]
        gross, fees = invoices.get(currency, (0, 0))
        figures.append(
            MembershipFigures(
                currency=currency,
                active_members=bucket["count"],
                mrr=mrr,
                new_members=move["new"],
                churned_members=move["churned"],
                gross=gross,
                fees=fees,
            )
        )
    return figures


def _invoice_totals(*, sales: QuerySet[Order], totals: QuerySet[SaleTotal], period: Period):
    """Gross and fees of membership invoices per currency: running totals for all time."""
    if period.is_all_time:
        rows = (
            totals.filter(course__isnull=True)
            .values("currency")
            .annotate(gross=Sum("gross"), fees=Sum("fees"))
        )
    else:
        rows = (
            sales.filter(
                membership__isnull=False, paid_at__gte=period.start, paid_at__lt=period.end
            )
            .values("currency")
            .annotate(gross=Sum("amount"), fees=Sum("fee_amount"))
        )
    return {row["currency"]: (row["gross"] or 0, row["fees"] or 0) for row in rows.order_by()}


def membership_figures_for_seller(*, seller: User, period: Period) -> list[MembershipFigures]:
    return _figures(
        memberships=Membership.objects.filter(seller=seller),
        invoices=_invoice_totals(
            sales=Order.objects.filter(seller=seller),
            totals=SaleTotal.objects.filter(seller=seller),
            period=period,
        ),
        period=period,
    )


def membership_figures_for_platform(*, period: Period) -> list[MembershipFigures]:
    return _figures(
        memberships=Membership.objects.all(),
        invoices=_invoice_totals(
            sales=Order.objects.all(), totals=SaleTotal.objects.all(), period=period
        ),
        period=period,
    )
