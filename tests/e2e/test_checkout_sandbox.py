"""A buyer pays for a course in Chromium on the sandbox's hosted Checkout page, for each charge
type, and comes back to an unlocked course; a declined card shows an error and charges nothing."""

import re

import pytest
from django.core import mail

from checkout.models import Order
from tests.accounts.factories import TEST_PASSWORD, UserFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.sandbox import deliver_webhooks, onboarded_seller
from tests.checkout.test_sandbox_payments import buy, pay, settle_bank_debit

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CASES = [
    ("auto", "standard", "direct"),
    ("auto", "express", "destination"),
    ("separate", "express", "separate"),
]


def fill_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Bea Buyer")


def open_course_as_buyer(page, live_server, log_in, *, course_charge_type, account_type):
    seller = onboarded_seller(account_type=account_type, base_url=live_server.url)
    course = CourseFactory(
        seller=seller,
        title="Payments for people",
        charge_type=course_charge_type,
        price_amount=4900,
        platform_fee_percent="10.00",
        content="Lesson 1: the secret content.",
    )
    buyer = UserFactory(email="buyer@test.example")
    log_in(buyer.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    return course


@pytest.mark.parametrize(("course_charge_type", "account_type", "charge_type"), CASES)
def test_buyer_pays_with_a_test_card_and_the_course_unlocks(
    page, live_server, log_in, stripe_sandbox, course_charge_type, account_type, charge_type
):
    course = open_course_as_buyer(
        page,
        live_server,
        log_in,
        course_charge_type=course_charge_type,
        account_type=account_type,
    )

    page.get_by_role("button", name="Buy for $49.00").click()
    page.wait_for_url(re.compile(r"/stripe-sandbox/"))
    assert page.get_by_text("$49.00").first.is_visible()
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()

    page.wait_for_url(re.compile(r"/checkout/success/\?session_id=cs_"))
    page.get_by_role("heading", name="Payment received").wait_for()
    page.get_by_role("button", name="Open course").click()
    assert page.get_by_text("Lesson 1: the secret content.").is_visible()

    order = Order.objects.get(course=course)
    assert (order.status, order.charge_type) == (Order.Status.PAID, charge_type)
    assert (order.amount, order.fee_amount) == (4900, 490)
    assert any(m.to == [course.seller.email] for m in mail.outbox), "no sale email to the seller"
    # The webhook arriving after the success page changes nothing.
    deliver_webhooks()
    assert len(mail.outbox) == 2

    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    assert page.get_by_role("button", name="Owned — open course").is_visible()


def test_the_sandbox_inspector_shows_each_sales_fee_and_transfer(page, live_server, stripe_sandbox):
    orders = {}
    for course_charge_type, account_type, charge_type in CASES:
        order = buy(
            stripe_sandbox=stripe_sandbox,
            course_charge_type=course_charge_type,
            account_type=account_type,
            buyer_email=f"{charge_type}@test.example",
        )
        pay(order, "4242424242424242", email=f"{charge_type}@test.example")
        deliver_webhooks()
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        orders[charge_type] = order

    page.goto(f"{live_server.url}/stripe-sandbox/")
    payments = page.get_by_role("region", name="Payments")

    def row(charge_type: str) -> str:
        return (
            payments.get_by_role("row").filter(has_text=orders[charge_type].charge_id).inner_text()
        )

    direct, destination, separate = row("direct"), row("destination"), row("separate")
    assert "$4.90" in direct
    assert "$4.90" in destination
    assert f"$49.00 to {orders['destination'].stripe_account_id}" in destination
    # Separate charges collect no application fee: the platform keeps what it does not transfer.
    assert f"$44.10 to {orders['separate'].stripe_account_id}" in separate


def test_a_declined_card_shows_an_error_and_nothing_is_paid(
    page, live_server, log_in, stripe_sandbox
):
    course = open_course_as_buyer(
        page, live_server, log_in, course_charge_type="auto", account_type="express"
    )

    page.get_by_role("button", name="Buy for $49.00").click()
    page.wait_for_url(re.compile(r"/stripe-sandbox/"))
    fill_card(page, "4000000000000002")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()

    assert page.get_by_role("alert").filter(has_text="declined").is_visible()
    deliver_webhooks()
    order = Order.objects.get(course=course)
    assert order.status == Order.Status.PENDING
    assert order.paid_at is None
    assert mail.outbox == []

    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    assert page.get_by_role("button", name="Buy for $49.00").is_visible()


def test_leaving_the_payment_page_returns_to_a_cancel_page(
    page, live_server, log_in, stripe_sandbox
):
    open_course_as_buyer(
        page, live_server, log_in, course_charge_type="auto", account_type="express"
    )

    page.get_by_role("button", name="Buy for $49.00").click()
    page.wait_for_url(re.compile(r"/stripe-sandbox/"))
    page.get_by_role("link", name="Back").click()

    assert page.get_by_role("heading", name="Payment cancelled").is_visible()
    assert page.get_by_text("Nothing was charged").is_visible()


def test_a_bank_debit_shows_processing_until_it_settles(page, live_server, log_in, stripe_sandbox):
    course = open_course_as_buyer(
        page, live_server, log_in, course_charge_type="auto", account_type="express"
    )

    page.get_by_role("button", name="Buy for $49.00").click()
    page.wait_for_url(re.compile(r"/stripe-sandbox/"))
    page.get_by_label("Pay by bank debit").check()
    page.get_by_role("button", name=re.compile(r"^Pay")).click()

    page.wait_for_url(re.compile(r"/checkout/success/"))
    assert page.get_by_role("heading", name="Processing your payment…").is_visible()

    settle_bank_debit(stripe_sandbox, Order.objects.get(course=course), "succeeded")

    page.get_by_role("heading", name="Payment received").wait_for(timeout=8_000)
    assert page.get_by_role("button", name="Open course").is_visible()
