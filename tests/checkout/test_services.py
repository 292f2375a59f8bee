"""Services with our gateway functions patched: what gets stored, what Stripe is asked."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.utils import timezone

from checkout import stripe_payments
from checkout.models import Order, OrderEmail, Refund, SaleTotal, StripeCustomer
from checkout.selectors import order_amount_left_to_refund
from checkout.services.errors import CheckoutError, CourseAlreadyOwned
from checkout.services.orders import (
    TRANSFER_CLAIM_TIMEOUT,
    _order_transfer_to_seller,
    order_attach_session,
    order_checkout_start,
    order_fee_amount,
    order_fulfil,
)
from checkout.services.refunds import (
    REVERSAL_FAILED,
    order_apply_dispute,
    order_apply_refunds,
    order_refund,
    refund_reversals_retry,
)
from checkout.session_rules import CHECKOUT_PREPARING_TIMEOUT
from site_config.stripe_client import StripeErrorCode, StripeGatewayError
from tests.accounts.factories import UserFactory
from tests.checkout.conftest import opened_session, paid_session
from tests.checkout.factories import OrderFactory, PaidOrderFactory, RefundFactory

pytestmark = pytest.mark.django_db


# --- Fees -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "currency", "percent", "fee"),
    [
        (4900, "usd", "10.00", 490),
        (55, "usd", "10.00", 6),  # 5.5 cents rounds half up
        (1999, "eur", "12.50", 250),  # 249.875
        (150, "jpy", "15.00", 23),  # ¥22.5 rounds half up to a whole yen
        (1000, "jpy", "0.00", 0),
        (1000, "usd", "100.00", 1000),
        # Below, at and above one half, in a two- and a zero-decimal currency: only half up
        # gets all of them (at .5 half-even would give 2 and ¥22, truncation 5 and ¥22).
        (54, "usd", "10.00", 5),  # 5.4
        (25, "usd", "10.00", 3),  # 2.5
        (56, "usd", "10.00", 6),  # 5.6
        (143, "jpy", "15.00", 21),  # ¥21.45
        (153, "jpy", "15.00", 23),  # ¥22.95
        (5003, "jpy", "0.01", 1),  # ¥0.5003
        (4999, "jpy", "0.01", 0),  # ¥0.4999
    ],
)
def test_platform_fee_is_a_percentage_of_the_price_rounded_half_up(
    make_course, price, currency, percent, fee
):
    course = make_course(price_amount=price, currency=currency, platform_fee_percent=percent)

    assert order_fee_amount(course=course) == fee


# --- Buying ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("course_charge_type", "account_type", "order_charge_type"),
    [
        ("auto", "standard", "direct"),
        ("auto", "express", "destination"),
        ("auto", "custom", "destination"),
        ("separate", "express", "separate"),
        ("destination", "standard", "destination"),
        ("direct", "express", "direct"),
    ],
)
def test_buying_creates_a_pending_order_and_one_session_with_the_server_price(
    make_course, buyer, gateway, course_charge_type, account_type, order_charge_type
):
    course = make_course(
        charge_type=course_charge_type, account_type=account_type, platform_fee_percent="12.50"
    )

    order = order_checkout_start(buyer=buyer, course=course)

    assert gateway.names() == ["checkout_session_create"]
    sent = gateway.kwargs("checkout_session_create")
    assert sent["charge_type"] == order_charge_type
    assert (sent["amount"], sent["fee_amount"], sent["currency"]) == (4900, 613, "usd")
    assert sent["stripe_account_id"] == course.seller.stripe_account.stripe_account_id
    assert sent["order_id"] == order.pk
    assert sent["success_url"].endswith("/checkout/success/?session_id={CHECKOUT_SESSION_ID}")
    assert sent["cancel_url"].endswith(f"/checkout/orders/{order.pk}/cancelled/")
    assert sent["customer_id"] == ""
    assert sent["customer_email"] == buyer.email
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert (order.amount, order.fee_amount, order.charge_type) == (4900, 613, order_charge_type)
    assert order.checkout_session_id == f"cs_test_{order.pk}"
    assert order.checkout_url == f"https://checkout.stripe.test/{order.pk}"


def test_a_returning_buyer_is_passed_as_the_stored_customer_of_that_account(
    make_course, buyer, gateway
):
    direct_course = make_course(account_type="standard")
    account_id = direct_course.seller.stripe_account.stripe_account_id
    StripeCustomer.objects.create(
        user=buyer, stripe_account_id=account_id, customer_id="cus_on_acct"
    )
    StripeCustomer.objects.create(user=buyer, stripe_account_id="", customer_id="cus_platform")
    destination_course = make_course(account_type="express")

    order_checkout_start(buyer=buyer, course=direct_course)
    order_checkout_start(buyer=buyer, course=destination_course)

    customers = [kwargs["customer_id"] for name, kwargs in gateway.calls]
    assert customers == ["cus_on_acct", "cus_platform"]


def test_a_customer_deleted_on_stripe_is_forgotten_so_the_next_click_works(
    make_course, buyer, gateway
):
    course = make_course(account_type="standard")
    account_id = course.seller.stripe_account.stripe_account_id
    StripeCustomer.objects.create(user=buyer, stripe_account_id=account_id, customer_id="cus_gone")
    # The same buyer on the platform, and another buyer on this account, are other customers.
    StripeCustomer.objects.create(user=buyer, stripe_account_id="", customer_id="cus_platform")
    someone = UserFactory()
    StripeCustomer.objects.create(
        user=someone, stripe_account_id=account_id, customer_id="cus_gone"
    )
    gateway.error = StripeGatewayError("No such customer.", code=StripeErrorCode.RESOURCE_MISSING)

    with pytest.raises(StripeGatewayError):
        order_checkout_start(buyer=buyer, course=course)
    gateway.error = None
    order = order_checkout_start(buyer=buyer, course=course)

    customers = [kwargs["customer_id"] for name, kwargs in gateway.calls]
    assert customers == ["cus_gone", ""]
    assert order.status == Order.Status.PENDING
    assert list(
        StripeCustomer.objects.order_by("customer_id").values_list("user", "customer_id")
    ) == [(someone.pk, "cus_gone"), (buyer.pk, "cus_platform")]


def test_an_outage_keeps_the_stored_customer(make_course, buyer, gateway):
    course = make_course(account_type="express")
    StripeCustomer.objects.create(user=buyer, stripe_account_id="", customer_id="cus_kept")
    gateway.error = StripeGatewayError("Unreachable.", code=StripeErrorCode.UNREACHABLE)

    with pytest.raises(StripeGatewayError):
        order_checkout_start(buyer=buyer, course=course)

    assert StripeCustomer.objects.get(user=buyer).customer_id == "cus_kept"


def test_a_second_click_reuses_the_open_session(make_course, buyer, gateway):
    course = make_course()

    first = order_checkout_start(buyer=buyer, course=course)
    second = order_checkout_start(buyer=buyer, course=course)

    assert second.pk == first.pk
    assert gateway.names() == ["checkout_session_create"]


def test_a_click_while_the_first_is_still_getting_its_session_is_asked_to_wait(
    make_course, buyer, gateway
):
    course = make_course()
    OrderFactory(buyer=buyer, course=course, checkout_session_id=None, checkout_url="")

    with pytest.raises(
        CheckoutError, match=r"^Your payment page is being prepared\. Try again in a moment\.$"
    ):
        order_checkout_start(buyer=buyer, course=course)

    assert gateway.calls == []


@pytest.mark.parametrize(
    ("waited", "opens_a_session"),
    [
        (CHECKOUT_PREPARING_TIMEOUT - timedelta(microseconds=1), False),
        (CHECKOUT_PREPARING_TIMEOUT, True),
    ],
)
def test_a_click_that_never_got_its_session_is_given_up_on_after_the_timeout(
    make_course, buyer, gateway, monkeypatch, waited, opens_a_session
):
    course = make_course()
    stuck = OrderFactory(buyer=buyer, course=course, checkout_session_id=None, checkout_url="")
    now = stuck.created_at + waited
    monkeypatch.setattr(timezone, "now", lambda: now)

    if opens_a_session:
        assert order_checkout_start(buyer=buyer, course=course).pk != stuck.pk
    else:
        with pytest.raises(CheckoutError, match="being prepared"):
            order_checkout_start(buyer=buyer, course=course)
    assert gateway.names() == (["checkout_session_create"] if opens_a_session else [])


def test_a_payment_recorded_while_the_buy_request_waits_for_stripe_is_kept(
    make_course, buyer, gateway
):
    course = make_course()

    def create_and_pay_meanwhile(**kwargs):
        session = opened_session(
            id=f"cs_test_{kwargs['order_id']}", url="https://checkout.stripe.test/pay", **kwargs
        )
        order = Order.objects.get(pk=kwargs["order_id"])
        gateway.session = paid_session(order, id=session.id)
        # Stripe's completed event is handled before this request saves the session's id.
        order_attach_session(
            order_id=order.pk,
            session_id=session.id,
            amount=order.amount,
            currency=order.currency,
            stripe_account_id=order.stripe_account_id,
        )
        order_fulfil(session_id=session.id)
        return session

    gateway._checkout_session_create = create_and_pay_meanwhile

    order = order_checkout_start(buyer=buyer, course=course)

    order.refresh_from_db()
    assert (order.status, order.checkout_session_id) == (Order.Status.PAID, f"cs_test_{order.pk}")
    assert order.paid_at is not None


def test_a_session_about_to_expire_is_not_reused(make_course, buyer, gateway):
    course = make_course()
    stale = OrderFactory(
        buyer=buyer, course=course, checkout_expires_at=timezone.now() + timedelta(minutes=2)
    )

    order = order_checkout_start(buyer=buyer, course=course)

    assert order.pk != stale.pk


def test_a_seller_cannot_buy_their_own_course(make_course, gateway):
    course = make_course()

    with pytest.raises(CheckoutError, match=r"^You cannot buy your own course\.$"):
        order_checkout_start(buyer=course.seller, course=course)

    assert gateway.calls == []
    assert not Order.objects.exists()


def test_a_course_whose_seller_cannot_take_charges_cannot_be_bought(make_course, buyer, gateway):
    course = make_course()
    course.seller.stripe_account.charges_enabled = False
    course.seller.stripe_account.save()

    with pytest.raises(CheckoutError, match=r"^This course is not available to buy yet\.$"):
        order_checkout_start(buyer=buyer, course=course)

    assert gateway.calls == []


def test_an_owner_is_told_they_own_the_course(make_course, buyer, gateway):
    course = make_course()
    PaidOrderFactory(buyer=buyer, course=course)

    with pytest.raises(CourseAlreadyOwned, match=r"^You already own this course\.$"):
        order_checkout_start(buyer=buyer, course=course)

    assert gateway.calls == []


def test_a_gateway_failure_cancels_the_order_so_it_can_never_be_paid(make_course, buyer, gateway):
    course = make_course()
    gateway.error = StripeGatewayError("The payment service could not be reached.")

    with pytest.raises(StripeGatewayError):
        order_checkout_start(buyer=buyer, course=course)

    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert order.checkout_url == ""


# --- Fulfilment -----------------------------------------------------------------------------


def test_fulfilment_records_the_payment_customer_and_emails_once(gateway, on_commit):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.session = paid_session(order)

    with on_commit(execute=True):
        order_fulfil(session_id=order.checkout_session_id)
    with on_commit(execute=True):
        order_fulfil(session_id=order.checkout_session_id)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert order.payment_intent_id == f"pi_for_{order.pk}"
    assert order.charge_id == f"ch_for_{order.pk}"
    assert order.application_fee_id == f"fee_for_{order.pk}"
    assert order.transfer_id == f"tr_for_{order.pk}"
    assert (order.amount, order.fee_amount, order.currency) == (4900, 490, "usd")
    assert StripeCustomer.objects.get(user=order.buyer, stripe_account_id="").customer_id == (
        "cus_test_buyer"
    )
    # The second call sees a paid order and does not ask Stripe again.
    assert gateway.names() == ["checkout_session_retrieve"]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [order.buyer.email, order.seller.email]
    )


def test_a_fulfilment_that_lost_the_race_changes_nothing_under_the_row_lock(gateway, on_commit):
    """The success page and the webhook both read the order unpaid and ask Stripe; the one that
    locks the row second must find it paid and leave it as the first left it."""
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.session = paid_session(order)
    winner: dict = {}

    def retrieve_while_the_other_fulfils(**kwargs):
        if not winner:
            winner["started"] = True
            winner["order"] = order_fulfil(session_id=order.checkout_session_id)
        return gateway.session

    gateway._checkout_session_retrieve = retrieve_while_the_other_fulfils
    with on_commit() as callbacks:
        loser = order_fulfil(session_id=order.checkout_session_id)

    first = winner["order"]
    assert gateway.names() == ["checkout_session_retrieve", "checkout_session_retrieve"]
    order.refresh_from_db()
    assert order.paid_at == first.paid_at == loser.paid_at
    assert order.updated_at == first.updated_at
    # Receipt and sale notice once, the sale counted once.
    assert len(callbacks) == 2
    total = SaleTotal.objects.get(seller=order.seller)
    assert (total.count, total.gross, total.fees) == (1, order.amount, order.fee_amount)


def test_direct_fulfilment_reads_the_session_on_the_connected_account(gateway):
    order = OrderFactory(charge_type=Order.ChargeType.DIRECT)
    gateway.session = paid_session(order)

    order_fulfil(session_id=order.checkout_session_id)

    assert gateway.kwargs("checkout_session_retrieve")["stripe_account_id"] == (
        order.stripe_account_id
    )
    assert StripeCustomer.objects.get(user=order.buyer).stripe_account_id == (
        order.stripe_account_id
    )


def test_an_unpaid_session_leaves_the_order_pending_and_sends_nothing(gateway):
    order = OrderFactory()
    gateway.session = paid_session(order, status="complete", payment_status="unpaid")

    order_fulfil(session_id=order.checkout_session_id)

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert order.paid_at is None
    assert mail.outbox == []


def test_an_expired_session_cancels_the_pending_order(gateway):
    order = OrderFactory()
    gateway.session = paid_session(order, status="expired", payment_status="unpaid")

    order_fulfil(session_id=order.checkout_session_id)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_a_payment_stripe_reports_wins_over_a_locally_cancelled_order(gateway):
    order = OrderFactory(status=Order.Status.CANCELLED)
    gateway.session = paid_session(order)

    order_fulfil(session_id=order.checkout_session_id)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_separate_charge_transfers_price_minus_fee_from_the_charge_once(gateway):
    order = OrderFactory(charge_type=Order.ChargeType.SEPARATE, fee_amount=613)
    gateway.session = paid_session(order)

    order_fulfil(session_id=order.checkout_session_id)
    order_fulfil(session_id=order.checkout_session_id)

    assert gateway.names() == ["checkout_session_retrieve", "transfer_create"]
    assert gateway.kwargs("transfer_create") == {
        "order_id": order.pk,
        "amount": 4900 - 613,
        "currency": "usd",
        "destination": order.stripe_account_id,
        "source_transaction": f"ch_for_{order.pk}",
    }
    order.refresh_from_db()
    assert order.transfer_id == "tr_separate"
    assert order.transfer_claimed_at is None


@pytest.mark.parametrize(
    ("claim_age", "transfers"), [(TRANSFER_CLAIM_TIMEOUT / 2, 0), (TRANSFER_CLAIM_TIMEOUT * 2, 1)]
)
def test_a_live_transfer_claim_is_never_taken_over_and_a_stale_one_is(
    gateway, claim_age, transfers
):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="")
    Order.objects.filter(pk=order.pk).update(transfer_claimed_at=timezone.now() - claim_age)

    order_fulfil(session_id=order.checkout_session_id)

    assert gateway.names().count("transfer_create") == transfers


def test_a_transfer_claim_holds_only_its_own_order(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="")
    waiting = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="")

    order_fulfil(session_id=order.checkout_session_id)

    waiting.refresh_from_db()
    assert (waiting.transfer_id, waiting.transfer_claimed_at) == ("", None)
    order_fulfil(session_id=waiting.checkout_session_id)
    assert gateway.names().count("transfer_create") == 2


@pytest.mark.parametrize("status", [Order.Status.DISPUTED, Order.Status.REFUNDED])
def test_a_disputed_or_refunded_sale_is_never_transferred_to_the_seller(gateway, status):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="", status=status)

    order_fulfil(session_id=order.checkout_session_id)

    assert "transfer_create" not in gateway.names()
    order.refresh_from_db()
    assert (order.transfer_id, order.transfer_claimed_at) == ("", None)


def test_a_transfer_made_after_this_process_read_the_order_is_never_made_again(gateway):
    """Two fulfilments read the order untransferred; the first transfers. The second's claim,
    made with its stale copy, must still see the transfer on the row and make none."""
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="")
    stale = Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).update(transfer_id="tr_first")

    result = _order_transfer_to_seller(order=stale)

    assert gateway.names() == []
    assert result.transfer_id == "tr_first"
    assert result.transfer_claimed_at is None


def test_a_failed_transfer_keeps_the_payment_and_is_retried_later(gateway, monkeypatch, on_commit):
    order = OrderFactory(charge_type=Order.ChargeType.SEPARATE)
    gateway.session = paid_session(order)
    original = stripe_payments.transfer_create

    def failing_transfer(**kwargs):
        raise StripeGatewayError("Stripe is busy right now.", code=StripeErrorCode.RATE_LIMIT)

    monkeypatch.setattr(stripe_payments, "transfer_create", failing_transfer)
    with on_commit(execute=True), pytest.raises(StripeGatewayError):
        order_fulfil(session_id=order.checkout_session_id)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert (order.transfer_id, order.transfer_claimed_at) == ("", None)

    monkeypatch.setattr(stripe_payments, "transfer_create", original)
    order_fulfil(session_id=order.checkout_session_id)

    order.refresh_from_db()
    assert order.transfer_id == "tr_separate"
    assert len(mail.outbox) == 2


def test_a_refund_made_before_fulfilment_is_picked_up_from_the_charge(gateway):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.session = paid_session(order, amount_refunded=4900)

    order_fulfil(session_id=order.checkout_session_id)

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert order.refunded_amount == 4900
    assert not order.grants_access


def test_an_unknown_session_is_ignored(gateway):
    assert order_fulfil(session_id="cs_test_not_ours") is None
    assert gateway.calls == []


# --- Refunds --------------------------------------------------------------------------------


def test_a_partial_refund_is_sent_and_recorded_while_status_waits_for_the_webhook(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)

    refund = order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)

    assert gateway.kwargs("refund_create") == {
        "refund_id": refund.pk,
        "order_id": order.pk,
        "charge_type": "destination",
        "payment_intent_id": order.payment_intent_id,
        "amount": 1000,
        "stripe_account_id": order.stripe_account_id,
    }
    assert (refund.stripe_refund_id, refund.status, refund.amount) == (
        f"re_{refund.pk}",
        "succeeded",
        1000,
    )
    stored = Refund.objects.get()
    assert (stored.currency, stored.requested_by) == (order.currency, order.seller)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order_amount_left_to_refund(order=order) == 3900


def test_refunds_above_what_is_left_are_refused_on_the_server(gateway):
    order = PaidOrderFactory(refunded_amount=4000, status=Order.Status.PARTIALLY_REFUNDED)

    # The seller reads these words on the sale's page.
    with pytest.raises(CheckoutError) as larger:
        order_refund(order_id=order.pk, amount=901, requested_by=order.seller)
    with pytest.raises(CheckoutError) as zero:
        order_refund(order_id=order.pk, amount=0, requested_by=order.seller)
    assert str(larger.value) == "The refund is larger than what is left to refund."
    assert str(zero.value) == "The refund must be more than zero."

    assert gateway.calls == []
    assert not Refund.objects.exists()


def test_refunds_in_flight_count_against_what_is_left(gateway):
    order = PaidOrderFactory()
    order_refund(order_id=order.pk, amount=4000, requested_by=order.seller)

    with pytest.raises(CheckoutError):
        order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)


def _refunder(who: str, order: Order):
    """The user asking for a refund of `order`, by role."""
    if who == "seller":
        return order.seller
    if who == "staff":
        # Staff, not a superuser: the rule is about is_staff.
        return UserFactory(is_staff=True, is_superuser=False)
    if who == "buyer":
        return order.buyer
    if who == "other_seller":
        return PaidOrderFactory().seller
    return AnonymousUser()


@pytest.mark.parametrize("who", ["seller", "staff"])
def test_the_owning_seller_and_staff_may_refund(gateway, who):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)

    refund = order_refund(order_id=order.pk, amount=500, requested_by=_refunder(who, order))

    assert refund.amount == 500
    assert gateway.kwargs("refund_create")["amount"] == 500


@pytest.mark.parametrize("who", ["buyer", "other_seller", "anonymous"])
def test_the_service_refuses_anyone_but_the_seller_and_staff(gateway, who):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)

    with pytest.raises(CheckoutError, match="cannot refund this order"):
        order_refund(order_id=order.pk, amount=500, requested_by=_refunder(who, order))

    assert gateway.calls == []
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("status", "refunded_amount", "message"),
    [
        (Order.Status.DISPUTED, 0, "disputed order cannot be refunded"),
        (Order.Status.REFUNDED, 4900, "Only paid orders"),
        (Order.Status.PENDING, 0, "Only paid orders"),
    ],
)
@pytest.mark.parametrize("who", ["seller", "staff"])
def test_disputed_fully_refunded_and_unpaid_orders_cannot_be_refunded(
    gateway, who, status, refunded_amount, message
):
    factory = OrderFactory if status == Order.Status.PENDING else PaidOrderFactory
    order = factory(status=status, refunded_amount=refunded_amount)

    with pytest.raises(CheckoutError, match=message):
        order_refund(order_id=order.pk, amount=1, requested_by=_refunder(who, order))

    assert gateway.calls == []
    assert not Refund.objects.exists()


def test_an_unpaid_order_cannot_be_refunded(gateway):
    order = OrderFactory()

    with pytest.raises(CheckoutError, match="Only paid orders"):
        order_refund(order_id=order.pk, amount=100, requested_by=order.seller)


def test_separate_charge_refund_reverses_the_sellers_share_and_the_last_one_the_rest(gateway):
    order = PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_sep", amount=1000, fee_amount=333
    )

    first = order_refund(order_id=order.pk, amount=500, requested_by=order.seller)
    second = order_refund(order_id=order.pk, amount=500, requested_by=order.seller)

    reversals = [kwargs for name, kwargs in gateway.calls if name == "transfer_reversal_create"]
    # 667 × 500 / 1000 = 333.5 rounds half up; the last reversal takes what is left.
    assert [r["amount"] for r in reversals] == [334, 333]
    assert all(r["transfer_id"] == "tr_sep" for r in reversals)
    assert (first.transfer_reversal_id, second.transfer_reversal_id) == (
        f"trr_{first.pk}",
        f"trr_{second.pk}",
    )
    assert sum(r["amount"] for r in reversals) == order.net_amount


@pytest.mark.parametrize(
    ("currency", "amount", "fee", "refunds", "reversals"),
    [
        # Net 667: 133.4 rounds down, 333.5 up; the last takes 667 - 467 exactly.
        ("usd", 1000, 333, [200, 500, 300], [133, 334, 200]),
        # 66.7 rounds up twice; the last takes 667 - 134 = 533.
        ("usd", 1000, 333, [100, 100, 800], [67, 67, 533]),
        # 133.4 rounds down twice; the last takes 667 - 266 = 401, more than its own 400.2.
        ("usd", 1000, 333, [200, 200, 600], [133, 133, 401]),
        # Net ¥850: ¥8.5 up, ¥9.35 down, ¥2.55 up; the last takes ¥850 - ¥21 = ¥829 (own: ¥829.6).
        ("jpy", 1000, 150, [10, 11, 3, 976], [9, 9, 3, 829]),
        # ¥9.35 down four times; the last takes ¥850 - ¥36 = ¥814, more than its own ¥812.6.
        ("jpy", 1000, 150, [11, 11, 11, 11, 956], [9, 9, 9, 9, 814]),
    ],
)
def test_reversals_round_half_up_and_the_last_takes_the_exact_remainder(
    gateway, currency, amount, fee, refunds, reversals
):
    order = PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE,
        transfer_id="tr_sep",
        course__currency=currency,
        amount=amount,
        fee_amount=fee,
    )

    for refund in refunds:
        order_refund(order_id=order.pk, amount=refund, requested_by=order.seller)

    sent = [
        kwargs["amount"] for name, kwargs in gateway.calls if name == "transfer_reversal_create"
    ]
    assert sent == reversals
    assert sum(sent) == amount - fee
    stored = list(order.refunds.order_by("pk").values_list("transfer_reversal_amount", flat=True))
    assert stored == reversals


def test_a_failed_refund_does_not_count_its_reversal_against_what_is_left(gateway):
    order = PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_sep", amount=1000, fee_amount=333
    )
    gateway.error = StripeGatewayError("Declined.", code=StripeErrorCode.CARD_DECLINED)
    with pytest.raises(StripeGatewayError):
        order_refund(order_id=order.pk, amount=400, requested_by=order.seller)
    gateway.error = None

    order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)

    reversal = [kw["amount"] for name, kw in gateway.calls if name == "transfer_reversal_create"]
    assert reversal == [667]


def test_separate_charge_refund_waits_for_the_transfer(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="")

    with pytest.raises(CheckoutError) as waiting:
        order_refund(order_id=order.pk, amount=100, requested_by=order.seller)
    assert str(waiting.value) == "The seller's transfer is still being made. Try again shortly."


def test_a_refund_stripe_refuses_is_marked_failed_and_frees_the_amount(gateway):
    order = PaidOrderFactory()
    gateway.error = StripeGatewayError("The payment service returned an error.")

    with pytest.raises(StripeGatewayError):
        order_refund(order_id=order.pk, amount=4900, requested_by=order.seller)

    failed = Refund.objects.get()
    assert (failed.status, failed.failure_message) == (
        "failed",
        "The payment service returned an error.",
    )
    assert order_amount_left_to_refund(order=order) == 4900


def test_stripes_refunded_total_moves_the_order_and_notifies_the_buyer_once(gateway, on_commit):
    order = PaidOrderFactory()
    gateway.amount_refunded = 1000

    with on_commit(execute=True):
        order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")
    with on_commit(execute=True):
        order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")

    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 1000)
    assert order.grants_access
    assert [message.to for message in mail.outbox] == [[order.buyer.email]]

    gateway.amount_refunded = 4900
    with on_commit(execute=True):
        order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert not order.grants_access
    assert len(mail.outbox) == 2
    assert "refunded in full" in mail.outbox[1].body


def test_a_stale_refunded_total_never_lowers_the_order(gateway):
    order = PaidOrderFactory(refunded_amount=3000, status=Order.Status.PARTIALLY_REFUNDED)
    gateway.amount_refunded = 1000

    order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")

    order.refresh_from_db()
    assert order.refunded_amount == 3000


def test_a_dispute_marks_the_order_and_tells_the_seller(gateway, on_commit):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.dispute = stripe_payments.DisputeState(
        id="dp_1",
        charge_id=order.charge_id,
        status="needs_response",
        amount=order.amount,
        withdrawn=order.amount,
        fee=1500,
    )

    with on_commit(execute=True):
        order_apply_dispute(dispute_id="dp_1")
    with on_commit(execute=True):
        order_apply_dispute(dispute_id="dp_1")

    order.refresh_from_db()
    assert order.status == Order.Status.DISPUTED
    assert not order.grants_access
    assert [message.to for message in mail.outbox] == [[order.seller.email]]
    assert OrderEmail.objects.get(order=order).kind == "dispute"


def test_fee_uses_the_decimal_percent_not_a_float(make_course):
    course = make_course(price_amount=1005, platform_fee_percent=Decimal("33.33"))

    # 1005 × 0.3333 = 334.9665 → 335
    assert order_fee_amount(course=course) == 335


def test_fulfilment_does_not_touch_someone_elses_order(gateway):
    mine = OrderFactory()
    other = OrderFactory(buyer=UserFactory())
    gateway.session = paid_session(mine)

    order_fulfil(session_id=mine.checkout_session_id)

    other.refresh_from_db()
    assert other.status == Order.Status.PENDING


def test_a_retried_reversal_that_already_went_through_is_recorded_not_made_again(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_seller")
    refund = RefundFactory(
        order=order,
        transfer_reversal_amount=900,
        transfer_reversal_attempts=1,
        failure_message=REVERSAL_FAILED.format(reason="Stripe could not be reached."),
    )
    # The first attempt reached Stripe, but its answer was lost on the way back.
    gateway._transfer_reversal_find = lambda **kwargs: stripe_payments.TransferResult(
        id="trr_earlier", amount=900
    )

    assert refund_reversals_retry() == {"reversed": 1, "still_failing": 0}

    assert "transfer_reversal_create" not in gateway.names()
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.transfer_reversal_id, refund.failure_message) == ("trr_earlier", "")
    assert order.transfer_reversed_amount == 900
    assert refund_reversals_retry() == {"reversed": 0, "still_failing": 0}


def test_reconcile_retries_only_failed_reversals_of_refunds_stripe_made_oldest_first(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_seller")
    failed = REVERSAL_FAILED.format(reason="Stripe could not be reached.")
    newer, older, one_cent = (
        RefundFactory(order=order, transfer_reversal_amount=amount, failure_message=failed)
        for amount in (200, 300, 1)
    )
    # The older refund was saved second: its money is taken back first all the same.
    now = timezone.now()
    for refund, age in ((older, 3), (newer, 2), (one_cent, 1)):
        Refund.objects.filter(pk=refund.pk).update(created_at=now - timedelta(minutes=age))
    # Not for reconcile: nothing to take back (the last refund of a small net), a refund Stripe
    # has not confirmed yet, one Stripe refused, and one already taken back.
    RefundFactory(order=order, transfer_reversal_amount=0)
    RefundFactory(
        order=order, transfer_reversal_amount=500, stripe_refund_id=None, status="pending"
    )
    RefundFactory(order=order, transfer_reversal_amount=500, status="failed")
    RefundFactory(order=order, transfer_reversal_amount=500, transfer_reversal_id="trr_done")

    assert refund_reversals_retry() == {"reversed": 3, "still_failing": 0}

    sent = [kw["amount"] for name, kw in gateway.calls if name == "transfer_reversal_create"]
    assert sent == [300, 200, 1]


def test_reconcile_counts_reversals_that_still_fail(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_seller")
    RefundFactory(order=order, transfer_reversal_amount=300)
    gateway.error = StripeGatewayError("Stripe could not be reached.")

    assert refund_reversals_retry() == {"reversed": 0, "still_failing": 1}


def test_the_smallest_refund_is_one_minor_unit(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)

    refund = order_refund(order_id=order.pk, amount=1, requested_by=order.seller)

    assert refund.amount == 1
    assert gateway.kwargs("refund_create")["amount"] == 1


def test_the_last_reversal_never_takes_more_than_the_transfer(gateway):
    # Net 1 cent: the first refund's share (0.6) rounds up to all of it, so the last has
    # nothing left to take back and asks Stripe for no reversal at all.
    order = PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_sep", amount=1000, fee_amount=999
    )

    order_refund(order_id=order.pk, amount=600, requested_by=order.seller)
    last = order_refund(order_id=order.pk, amount=400, requested_by=order.seller)

    sent = [kw["amount"] for name, kw in gateway.calls if name == "transfer_reversal_create"]
    assert sent == [1]
    assert last.transfer_reversal_amount == 0
    order.refresh_from_db()
    assert order.transfer_reversed_amount == 1


def test_a_reversal_stripe_refused_does_not_count_as_taken_back(gateway, monkeypatch):
    order = PaidOrderFactory(
        charge_type=Order.ChargeType.SEPARATE, transfer_id="tr_sep", amount=1000, fee_amount=200
    )
    made = gateway._transfer_reversal_create

    def refuse_first(**kwargs):
        if not Refund.objects.exclude(transfer_reversal_id="").exists() and kwargs["amount"] == 80:
            raise StripeGatewayError("The payment service returned an error.")
        return made(**kwargs)

    monkeypatch.setattr(gateway, "_transfer_reversal_create", refuse_first)
    with pytest.raises(StripeGatewayError):
        order_refund(order_id=order.pk, amount=100, requested_by=order.seller)
    first = Refund.objects.get()
    assert first.failure_message.startswith("Refunded, but taking the seller's share back failed")

    order_refund(order_id=order.pk, amount=200, requested_by=order.seller)

    # Only the reversal Stripe made (160 of the 200) lowers the seller's net, not the refused 80.
    order.refresh_from_db()
    assert order.transfer_reversed_amount == 160
    assert order.seller_net_amount == 800 - 160


def _stripe_refund(id, amount, *, status="succeeded", currency="eur", reason="", ours=None):
    return stripe_payments.RefundState(
        id=id,
        amount=amount,
        currency=currency,
        status=status,
        failure_reason=reason,
        refund_id=ours,
    )


def test_refund_rows_follow_stripes_refunds_wherever_they_were_made(gateway, on_commit):
    order = PaidOrderFactory(course__currency="eur")
    other_order = PaidOrderFactory(course__currency="eur")
    # The app's own refund, saved before Stripe's id came back.
    ours = Refund.objects.create(order=order, amount=500, currency="eur", status="pending")
    ours_failed = Refund.objects.create(order=order, amount=70, currency="eur", status="pending")
    # Another order's refund row whose id a refund made elsewhere happens to carry.
    theirs = Refund.objects.create(order=other_order, amount=300, currency="eur")
    # A row that already has its Stripe id is never matched by the id in metadata.
    settled = Refund.objects.create(
        order=order, amount=100, currency="eur", status="succeeded", stripe_refund_id="re_old"
    )
    gateway.amount_refunded = 1000
    gateway.refunds = (
        _stripe_refund("re_ours", 500, currency="eur", ours=ours.pk),
        _stripe_refund(
            "re_ours_failed",
            70,
            status="failed",
            reason="expired_or_canceled_card",
            ours=ours_failed.pk,
        ),
        _stripe_refund("re_dashboard", 200, currency="", ours=theirs.pk),
        _stripe_refund(
            "re_api", 150, status="failed", reason="lost_or_stolen_card", ours=settled.pk
        ),
        _stripe_refund("re_odd", 50, status="failed", reason="something_new"),
        _stripe_refund("re_old", 100),
    )

    with on_commit(execute=True):
        order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")

    rows = {
        row.stripe_refund_id: (row.pk, row.amount, row.currency, row.status, row.failure_message)
        for row in Refund.objects.filter(order=order)
    }
    assert rows == {
        "re_ours": (ours.pk, 500, "eur", "succeeded", ""),
        "re_ours_failed": (
            ours_failed.pk,
            70,
            "eur",
            "failed",
            "The refund failed: the buyer's card has expired or was cancelled",
        ),
        "re_dashboard": (rows["re_dashboard"][0], 200, "eur", "succeeded", ""),
        "re_api": (
            rows["re_api"][0],
            150,
            "eur",
            "failed",
            "The refund failed: the buyer's card was reported lost or stolen",
        ),
        "re_odd": (
            rows["re_odd"][0],
            50,
            "eur",
            "failed",
            "The refund failed: the buyer's bank did not accept it",
        ),
        "re_old": (settled.pk, 100, "eur", "succeeded", ""),
    }
    theirs.refresh_from_db()
    assert (theirs.order_id, theirs.stripe_refund_id) == (other_order.pk, None)
    # The seller hears about each failed refund, and only those.
    failed_notices = sorted(
        kind
        for kind in OrderEmail.objects.filter(order=order).values_list("kind", flat=True)
        if kind.startswith("refund-failed-")
    )
    assert failed_notices == [
        "refund-failed-re_api",
        "refund-failed-re_odd",
        "refund-failed-re_ours_failed",
    ]


def test_a_refunds_failure_words_are_kept_when_stripe_later_gives_no_reason(gateway):
    order = PaidOrderFactory()
    ours = Refund.objects.create(
        order=order, amount=500, currency="usd", status="succeeded", stripe_refund_id="re_1"
    )
    gateway.amount_refunded = 500
    gateway.refunds = (_stripe_refund("re_1", 500, currency="usd", ours=ours.pk),)
    Refund.objects.filter(pk=ours.pk).update(failure_message="kept")

    order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")

    ours.refresh_from_db()
    assert (ours.status, ours.failure_message) == ("succeeded", "kept")


def test_a_refund_event_handled_before_stripes_answer_keeps_its_failure_words(gateway):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)

    def refund_create(**kwargs):
        # The refund fails at once, and its event is handled before the API's answer arrives.
        stripe_id = f"re_{kwargs['refund_id']}"
        gateway.refunds = (
            _stripe_refund(
                stripe_id,
                kwargs["amount"],
                status="failed",
                currency=order.currency,
                reason="expired_or_canceled_card",
                ours=kwargs["refund_id"],
            ),
        )
        order_apply_refunds(charge_id=order.charge_id, stripe_account_id="")
        return stripe_payments.RefundResult(id=stripe_id, status="failed", amount=kwargs["amount"])

    gateway._refund_create = refund_create

    order_refund(order_id=order.pk, amount=1000, requested_by=order.seller)

    stored = Refund.objects.get()
    assert (stored.status, stored.failure_message) == (
        "failed",
        "The refund failed: the buyer's card has expired or was cancelled",
    )


def test_a_lost_session_is_linked_only_to_the_order_it_names_with_its_price_and_place(gateway):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION, checkout_session_id=None)
    neighbour = OrderFactory(charge_type=Order.ChargeType.DESTINATION, checkout_session_id=None)

    def attach(session_id, amount=4900, currency="usd", stripe_account_id=""):
        order_attach_session(
            order_id=order.pk,
            session_id=session_id,
            amount=amount,
            currency=currency,
            stripe_account_id=stripe_account_id,
        )
        order.refresh_from_db()
        return order.checkout_session_id

    # A destination charge's session lives on the platform, never on the seller's account.
    assert attach("cs_on_seller", stripe_account_id=order.stripe_account_id) is None
    assert attach("cs_other_amount", amount=4800) is None
    assert attach("cs_other_currency", currency="eur") is None
    assert attach("cs_ours") == "cs_ours"
    assert attach("cs_later") == "cs_ours"
    neighbour.refresh_from_db()
    assert neighbour.checkout_session_id is None


def test_stripe_taking_another_amount_than_the_order_says_is_logged(gateway, caplog):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    gateway.session = paid_session(order, amount_total=4800, currency="eur")

    order_fulfil(session_id=order.checkout_session_id)

    [error] = [r for r in caplog.records if r.name == "checkout.services.orders"]
    assert error.levelname == "ERROR"
    assert error.getMessage() == f"Order {order.pk}: Stripe took 4800 eur, the order says 4900 usd"
