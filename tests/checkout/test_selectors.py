"""The rules the checkout reads: who may refund (the service, the sale page and the refund page
alike), who may open a course, which orders reconciliation looks at."""

import pytest
from django.contrib.auth.models import AnonymousUser

from checkout.models import Order, Refund
from checkout.selectors import (
    course_access_allowed,
    order_amount_left_to_refund,
    order_get_latest_pending,
    order_list_to_reconcile,
    order_refund_permission,
)
from tests.accounts.factories import StripeAccountFactory, UserFactory
from tests.checkout.factories import OrderFactory, PaidOrderFactory

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


DISCONNECTED_SELLER = (
    "This sale was paid into the seller's own Stripe account, which is no longer connected to the "
    "marketplace, so it cannot be refunded from here. The seller can refund it in their Stripe "
    "Dashboard (Payments, then this payment, then Refund), or connect that Stripe account again "
    "on the Account page and then refund it here."
)


def test_a_direct_sale_of_a_disconnected_standard_seller_says_what_to_do_in_full():
    order = PaidOrderFactory()  # a direct charge on the seller's Standard account
    order.seller.stripe_account.mark_disconnected()

    assert order_refund_permission(order=order, user=order.seller).blocker == DISCONNECTED_SELLER


def test_only_the_account_the_sale_was_paid_into_decides_whether_it_is_disconnected():
    order = PaidOrderFactory()
    StripeAccountFactory(account_type="standard").mark_disconnected()  # another seller's

    assert order_refund_permission(order=order, user=order.seller).allowed


def test_a_platform_controlled_account_never_loses_its_direct_sales_refunds():
    # Express and Custom accounts stay the platform's: "disconnected" only ends a Standard link.
    order = PaidOrderFactory()
    order.seller.stripe_account.account_type = "express"
    order.seller.stripe_account.save()
    order.seller.stripe_account.mark_disconnected()

    assert order_refund_permission(order=order, user=order.seller).allowed


def test_a_course_opens_for_its_buyer_only_never_for_another_buyer_or_an_anonymous_visitor():
    order = PaidOrderFactory()
    someone_else = UserFactory()

    assert course_access_allowed(course=order.course, user=order.buyer)
    assert not course_access_allowed(course=order.course, user=someone_else)
    assert not course_access_allowed(course=order.course, user=AnonymousUser())


def test_reconciliation_looks_at_open_sessions_and_untransferred_separate_charges_only():
    open_session = OrderFactory()
    untransferred = PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE, paid_at="2026-01-01T00:00Z"
    )
    PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE, paid_at="2026-01-01T00:00Z", transfer_id="tr_done"
    )
    PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE,
        paid_at="2026-01-01T00:00Z",
        status=Order.Status.REFUNDED,
        refunded_amount=4900,
    )
    PaidOrderFactory(paid_at="2026-01-01T00:00Z")  # a direct charge: nothing to transfer

    assert set(order_list_to_reconcile()) == {open_session, untransferred}


def test_a_buyers_open_checkout_is_never_another_buyers():
    # Reusing it would send one buyer to pay on another buyer's Checkout page.
    theirs = OrderFactory()

    assert order_get_latest_pending(buyer=UserFactory(), course=theirs.course) is None
    assert order_get_latest_pending(buyer=theirs.buyer, course=theirs.course) == theirs


@pytest.mark.parametrize(
    ("visitor", "shown", "not_shown"),
    [
        ("anonymous", "Buy for $49.00", "Your course"),
        ("buyer of another course", "Buy for $49.00", "Owned"),
        ("another buyer", "Buy for $49.00", "Owned"),
        ("buyer", "Owned — open course", "Buy for"),
        ("seller", "Your course", "Buy for"),
    ],
)
def test_the_course_pages_buy_box_follows_who_is_looking(client, visitor, shown, not_shown):
    order = PaidOrderFactory()
    other_course = PaidOrderFactory(buyer=UserFactory())
    user = {
        "anonymous": None,
        "buyer of another course": other_course.buyer,
        "another buyer": UserFactory(),
        "buyer": order.buyer,
        "seller": order.seller,
    }[visitor]
    if user is not None:
        client.force_login(user)

    html = client.get(order.course.get_absolute_url()).content.decode()

    assert shown in html
    assert not_shown not in html
