"""The refund rule, read by the service, the sale page and the refund page alike."""

import pytest
from django.contrib.auth.models import AnonymousUser

from checkout.models import Order, Refund
from checkout.selectors import order_amount_left_to_refund, order_refund_permission
from tests.accounts.factories import UserFactory
from tests.checkout.factories import PaidOrderFactory

pytestmark = pytest.mark.django_db


def _refund(order: Order, amount: int, status: str) -> None:
    Refund.objects.create(order=order, amount=amount, currency=order.currency, status=status)


@pytest.mark.parametrize(
    ("stripe_refunded", "ours", "left"),
    [
        # Stripe's total and our refunds in flight overlap: the larger one counts, not the sum.
        (1000, [(3000, "pending")], 1900),
        (3000, [(1000, "succeeded")], 1900),
        # A failed or canceled refund gave nothing back.
        (0, [(2000, "failed"), (900, "canceled"), (1000, "succeeded")], 3900),
        (0, [(4900, "pending")], 0),
        (4900, [], 0),
        (0, [], 4900),
    ],
)
def test_what_is_left_to_refund_is_the_price_less_the_larger_refunded_total(
    stripe_refunded, ours, left
):
    order = PaidOrderFactory(amount=4900, refunded_amount=stripe_refunded)
    for amount, status in ours:
        _refund(order, amount, status)

    assert order_amount_left_to_refund(order=order) == left


def test_what_is_left_is_never_negative():
    order = PaidOrderFactory(amount=4900)
    _refund(order, 5000, "pending")

    assert order_amount_left_to_refund(order=order) == 0


@pytest.mark.parametrize(
    ("who", "may_manage"),
    [("seller", True), ("staff", True), ("buyer", False), ("other", False), ("anonymous", False)],
)
def test_only_the_seller_and_staff_may_manage_a_sales_refunds(who, may_manage):
    order = PaidOrderFactory()
    user = {
        "seller": order.seller,
        "staff": UserFactory(is_staff=True, is_superuser=False),
        "buyer": order.buyer,
        "other": PaidOrderFactory().seller,
        "anonymous": AnonymousUser(),
    }[who]

    permission = order_refund_permission(order=order, user=user)

    assert permission.may_manage is may_manage
    assert permission.allowed is may_manage
    assert permission.blocker == ("" if may_manage else "You cannot refund this order.")
    assert permission.amount_left == 4900


@pytest.mark.parametrize(
    ("status", "refunded", "in_flight", "blocker"),
    [
        (Order.Status.PAID, 0, 0, ""),
        (Order.Status.PARTIALLY_REFUNDED, 1000, 0, ""),
        (Order.Status.DISPUTED, 0, 0, "A disputed order cannot be refunded; the dispute decides."),
        (Order.Status.REFUNDED, 4900, 0, "Only paid orders can be refunded."),
        (Order.Status.PENDING, 0, 0, "Only paid orders can be refunded."),
        (Order.Status.PAID, 0, 4900, "Nothing is left to refund."),
        (Order.Status.PAID, 0, 4899, ""),
    ],
)
def test_a_refund_is_allowed_only_while_paid_and_something_is_left(
    status, refunded, in_flight, blocker
):
    order = PaidOrderFactory(amount=4900, status=status, refunded_amount=refunded)
    if in_flight:
        _refund(order, in_flight, "pending")

    permission = order_refund_permission(order=order, user=order.seller)

    assert permission.blocker == blocker
    assert permission.allowed is (blocker == "")
    assert permission.may_manage is True
