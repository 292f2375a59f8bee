"""Checkout pages in Chromium at phone width, with the payments gateway patched.

The full purchase against the sandbox's hosted Checkout page is in test_checkout_sandbox.py.
"""

import pytest

from checkout import stripe_payments
from checkout.models import Order
from tests.accounts.factories import TEST_PASSWORD, StripeAccountFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.conftest import paid_session
from tests.checkout.factories import OrderFactory, PaidOrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

FIELDS_WITHOUT_LABEL = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.type !== 'submit')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


def assert_fits_a_phone(page):
    assert page.title().strip()
    assert page.evaluate(FIELDS_WITHOUT_LABEL) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_success_page_polls_until_the_payment_lands_then_opens_the_course(
    page, live_server, log_in, monkeypatch
):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    answer = {"session": paid_session(order, payment_status="unpaid", status="complete")}
    monkeypatch.setattr(
        stripe_payments, "checkout_session_retrieve", lambda **kwargs: answer["session"]
    )
    page.set_viewport_size(PHONE)
    log_in(order.buyer.email, TEST_PASSWORD)

    page.goto(f"{live_server.url}/checkout/success/?session_id={order.checkout_session_id}")
    assert page.get_by_role("heading", name="Processing your payment…").is_visible()
    assert_fits_a_phone(page)

    answer["session"] = paid_session(order)
    page.get_by_role("heading", name="Payment received").wait_for(timeout=6_000)
    page.get_by_role("button", name="Open course").click()

    assert page.get_by_text("Lesson 1: the secret content.").is_visible()
    assert_fits_a_phone(page)


def test_owner_cancel_and_refund_pages_fit_a_phone(page, live_server, log_in):
    order = PaidOrderFactory()
    page.set_viewport_size(PHONE)

    log_in(order.buyer.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}{order.course.get_absolute_url()}")
    assert page.get_by_role("button", name="Owned — open course").is_visible()
    assert_fits_a_phone(page)
    page.goto(f"{live_server.url}/checkout/orders/{order.pk}/cancelled/")
    assert page.get_by_role("heading", name="Payment cancelled").is_visible()
    assert_fits_a_phone(page)

    page.context.clear_cookies()
    log_in(order.seller.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}/checkout/orders/{order.pk}/refund/")
    # Typed, never pre-filled; what is left is said under the field.
    assert page.get_by_label("Amount to refund").input_value() == ""
    assert page.get_by_text("Up to $49.00, what is left to refund.").is_visible()
    assert_fits_a_phone(page)


def test_seller_refunds_part_of_a_sale_after_confirming(page, live_server, log_in, monkeypatch):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    monkeypatch.setattr(
        stripe_payments,
        "refund_create",
        lambda **kwargs: stripe_payments.RefundResult(
            id="re_e2e", status="succeeded", amount=kwargs["amount"]
        ),
    )
    log_in(order.seller.email, TEST_PASSWORD)

    page.goto(f"{live_server.url}/checkout/orders/{order.pk}/refund/")
    page.get_by_label("Amount to refund").fill("60.00")
    page.get_by_role("button", name="Refund this amount").click()
    assert page.get_by_text("larger than what is left to refund").is_visible()

    page.get_by_label("Amount to refund").fill("9.00")
    page.get_by_role("button", name="Refund this amount").click()

    # Back on the sale, not on a form that invites a second refund.
    page.wait_for_url(f"{live_server.url}/dashboard/sales/{order.pk}/")
    assert page.get_by_role("status").filter(has_text="Refund of $9.00").is_visible()
    assert page.get_by_role("cell", name="$9.00").is_visible()


def test_course_form_explains_who_bears_fees_refunds_and_chargebacks(page, live_server, log_in):
    seller = StripeAccountFactory().seller
    CourseFactory(seller=seller)
    page.set_viewport_size(PHONE)
    log_in(seller.email, TEST_PASSWORD)

    page.goto(f"{live_server.url}/courses/new/")
    page.get_by_text("Advanced: how the payment is made").click()

    row = page.get_by_role("row", name="Destination")
    assert "Platform" in row.inner_text()
    assert_fits_a_phone(page)
