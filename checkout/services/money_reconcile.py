"""Compare the money the app shows for a seller's sales with what Stripe's records say.

For each sale in the period, the charge is re-read with its balance transaction, application
fee, transfer, refunds and dispute; the figures the app stored (Stripe's fee, refunded total, fee
returned, transfer reversed, what a dispute withdrew and its fee) and the two nets they give are
compared with the same figures computed from Stripe's answer by the same formula
(`Order.money_recompute`).

Then, per connected account and currency, everything the seller's sales ever netted is compared
with what Stripe holds there plus what it paid out to the bank: payouts move money, they never
change what a sale earned. An account that also takes payments outside the marketplace (a
Standard seller's own shop) shows that money as a difference here. Nothing is changed.
"""

import copy
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Sum

from accounts.models import User
from checkout import stripe_payments
from checkout.models import Order

COMPARED = (
    "stripe_fee_amount",
    "refunded_amount",
    "fee_refunded_amount",
    "transfer_reversed_amount",
    "dispute_amount",
    "dispute_fee_amount",
    "seller_net_amount",
    "platform_net_amount",
)


@dataclass(frozen=True)
class MoneyDifference:
    order_id: int
    field: str
    app: int
    stripe: int


@dataclass(frozen=True)
class AccountDifference:
    """All the seller's sales on one account netted `app`; Stripe holds `balance` there and paid
    out `paid_out`."""

    stripe_account_id: str
    currency: str
    app: int
    balance: int
    paid_out: int

    @property
    def stripe(self) -> int:
        return self.balance + self.paid_out


@dataclass
class MoneyReport:
    count: int = 0
    differences: list[MoneyDifference] = field(default_factory=list)
    accounts_compared: int = 0
    account_differences: list[AccountDifference] = field(default_factory=list)


def _expected(order: Order) -> Order:
    """The order with its figures as Stripe has them now, by the app's own formula."""
    owner = order.stripe_account_id if order.stripe_fee_borne_by_seller else ""
    charge = stripe_payments.charge_retrieve(charge_id=order.charge_id, stripe_account_id=owner)
    dispute = stripe_payments.dispute_for_charge(charge_id=order.charge_id, stripe_account_id=owner)
    expected = copy.copy(order)
    expected.stripe_fee_amount = charge.stripe_fee_amount
    expected.refunded_amount = charge.amount_refunded
    expected.fee_refunded_amount = charge.application_fee_refunded
    if order.charge_type == Order.ChargeType.DESTINATION:
        expected.transfer_reversed_amount = charge.transfer_reversed
    elif order.charge_type == Order.ChargeType.SEPARATE and order.transfer_id:
        expected.transfer_reversed_amount = stripe_payments.transfer_reversed_total(
            transfer_id=order.transfer_id
        )
    expected.dispute_amount = dispute.withdrawn if dispute else 0
    expected.dispute_fee_amount = dispute.fee if dispute else 0
    expected.money_recompute()
    return expected


def money_reconcile(*, seller: User, since: dt.datetime) -> MoneyReport:
    """Each difference for the seller's sales paid since `since`, then for their accounts."""
    report = MoneyReport()
    sales = Order.objects.filter(seller=seller, paid_at__gte=since).order_by("paid_at", "id")
    for order in sales.iterator():
        report.count += 1
        expected = _expected(order)
        report.differences.extend(
            MoneyDifference(
                order_id=order.pk,
                field=name,
                app=getattr(order, name),
                stripe=getattr(expected, name),
            )
            for name in COMPARED
            if getattr(order, name) != getattr(expected, name)
        )
    nets = (
        Order.objects.filter(seller=seller, paid_at__isnull=False)
        .values("stripe_account_id", "currency")
        .annotate(net=Sum("seller_net_amount"))
        .order_by("stripe_account_id", "currency")
    )
    by_account: dict[str, dict[str, int]] = {}
    for row in nets:
        by_account.setdefault(row["stripe_account_id"], {})[row["currency"]] = row["net"]
    for account, app_nets in by_account.items():
        report.accounts_compared += 1
        held = stripe_payments.account_money_retrieve(stripe_account_id=account)
        for currency in sorted(app_nets.keys() | held.keys()):
            money = held.get(currency) or stripe_payments.AccountMoney(currency, 0, 0)
            app = app_nets.get(currency, 0)
            if app != money.received:
                report.account_differences.append(
                    AccountDifference(
                        stripe_account_id=account,
                        currency=currency,
                        app=app,
                        balance=money.balance,
                        paid_out=money.paid_out,
                    )
                )
    return report
