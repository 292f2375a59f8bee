"""Compare the money the app shows for a seller's sales with what Stripe's records say.

For each sale in the period, the charge is re-read with its balance transaction, application
fee, transfer and refunds; the figures the app stored (Stripe's fee, refunded total, fee
returned, transfer reversed) and the two nets they give are compared with the same figures
computed from Stripe's answer by the same formula (`Order.money_recompute`). Nothing is changed.
"""

import copy
import datetime as dt
from dataclasses import dataclass

from accounts.models import User
from checkout import stripe_payments
from checkout.models import Order

COMPARED = (
    "stripe_fee_amount",
    "refunded_amount",
    "fee_refunded_amount",
    "transfer_reversed_amount",
    "seller_net_amount",
    "platform_net_amount",
)


@dataclass(frozen=True)
class MoneyDifference:
    order_id: int
    field: str
    app: int
    stripe: int


def money_reconcile(*, seller: User, since: dt.datetime) -> tuple[int, list[MoneyDifference]]:
    """(sales compared, differences) for the seller's sales paid since `since`."""
    sales = Order.objects.filter(seller=seller, paid_at__gte=since).order_by("paid_at", "id")
    differences: list[MoneyDifference] = []
    count = 0
    for order in sales.iterator():
        count += 1
        charge = stripe_payments.charge_retrieve(
            charge_id=order.charge_id,
            stripe_account_id=(
                order.stripe_account_id if order.charge_type == Order.ChargeType.DIRECT else ""
            ),
        )
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
        expected.money_recompute()
        differences.extend(
            MoneyDifference(
                order_id=order.pk,
                field=field,
                app=getattr(order, field),
                stripe=getattr(expected, field),
            )
            for field in COMPARED
            if getattr(order, field) != getattr(expected, field)
        )
    return count, differences
