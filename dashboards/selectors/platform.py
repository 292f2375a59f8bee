"""What the staff's platform dashboard reads: every seller's sales, fees, refunds, disputes and
the sellers who cannot take payments yet."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import User
from checkout.models import Order, Refund
from dashboards.periods import Period
from dashboards.selectors.common import (
    NEWEST_FIRST,
    SalesKpis,
    paid_orders,
    sale_figures,
    sale_kpis,
    zero,
)

TOP_SELLERS_SHOWN = 10
PENDING_SELLERS_SHOWN = 20
RECENT_DISPUTES_SHOWN = 10


def platform_kpis(*, period: Period) -> list[SalesKpis]:
    return sale_kpis(period=period)


@dataclass(frozen=True)
class FeeTotal:
    charge_type: str
    charge_type_label: str
    currency: str
    count: int
    fees: int
    fees_returned: int = 0
    stripe_fees: int = 0
    # The platform's fees kept less the Stripe fees it bore: its net before disputes.
    platform_kept: int = 0

    @property
    def fees_kept(self) -> int:
        return self.fees - self.fees_returned

    @property
    def platform_stripe_fees(self) -> int:
        """Stripe's fees the platform bore (destination and separate charges)."""
        return self.fees_kept - self.platform_kept

    @property
    def platform_net(self) -> int:
        """The margin column: what the platform kept (disputes are counted apart)."""
        return self.platform_kept


def platform_fees_by_charge_type(*, period: Period) -> list[FeeTotal]:
    """The platform's margin per charge type: fees kept less the Stripe fees it bore."""
    labels = dict(Order.ChargeType.choices)
    rows = sale_figures(
        period=period,
        group_by=("charge_type", "currency"),
        figures=("fees", "fees_returned", "stripe_fees", "platform_kept"),
        order_by=("charge_type", "currency"),
    )
    return [
        FeeTotal(charge_type_label=labels.get(row["charge_type"], row["charge_type"]), **row)
        for row in rows
    ]


@dataclass(frozen=True)
class SellerTotal:
    email: str
    name: str
    currency: str
    count: int
    gross: int
    # What the platform kept from the seller's sales: fees less those refunds returned, less
    # the Stripe fees the platform bore (the platform's net before disputes).
    platform_kept: int


def platform_top_sellers(*, period: Period) -> list[SellerTotal]:
    """Sellers with the most sales, one row per seller and currency (counts compare; money not)."""
    rows = sale_figures(
        period=period,
        group_by=("seller_id", "seller__email", "seller__full_name", "currency"),
        figures=("gross", "platform_kept"),
        order_by=("-count", "seller__email", "currency"),
    )[:TOP_SELLERS_SHOWN]
    return [
        SellerTotal(
            email=row["seller__email"],
            name=row["seller__full_name"],
            currency=row["currency"],
            count=row["count"],
            gross=row["gross"],
            platform_kept=row["platform_kept"],
        )
        for row in rows
    ]


def _pending_sellers() -> QuerySet[User]:
    return User.objects.filter(is_seller=True).filter(
        Q(stripe_account__isnull=True)
        | Q(stripe_account__charges_enabled=False)
        | Q(stripe_account__disconnected_at__isnull=False)
    )


def platform_pending_sellers() -> tuple[list[User], int]:
    """Sellers who cannot take payments yet (no account, charges off, or disconnected)."""
    sellers = _pending_sellers()
    page = list(
        sellers.select_related("stripe_account").order_by("date_joined", "id")[
            :PENDING_SELLERS_SHOWN
        ]
    )
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
        .annotate(count=Count("id"), amount=zero(Sum("amount")))
        .order_by("currency")
    )
    return [RefundTotal(**row) for row in rows]


def platform_dispute_totals() -> list[RefundTotal]:
    """Sales disputed right now, per currency, whenever they were made."""
    rows = (
        paid_orders()
        .filter(status=Order.Status.DISPUTED)
        .values("currency")
        .annotate(count=Count("id"), amount=zero(Sum("amount")))
        .order_by("currency")
    )
    return [RefundTotal(**row) for row in rows]


def platform_recent_disputes() -> list[Order]:
    return list(
        paid_orders()
        .filter(status=Order.Status.DISPUTED)
        .select_related("course", "seller")
        .order_by(*NEWEST_FIRST)[:RECENT_DISPUTES_SHOWN]
    )
