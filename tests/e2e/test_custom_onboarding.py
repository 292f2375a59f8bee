"""A new seller opens a Custom account and onboards on the marketplace's own pages, without
ever seeing a page of Stripe (or the sandbox); then a buyer buys their course."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import StripeAccount
from checkout.models import Order
from tests.accounts.factories import TEST_PASSWORD, SellerFactory, UserFactory
from tests.e2e.test_checkout_sandbox import fill_card

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# E2E_SCREENSHOTS=/some/dir saves each page of the flow at desktop and phone widths.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


def shot(page, name: str) -> None:
    if not SCREENSHOTS:
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(
            path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"), full_page=True, caret="initial"
        )
    page.set_viewport_size({"width": 1280, "height": 900})


def save_and_continue(page, current: str, following: str) -> None:
    expect(page.get_by_role("heading", name=current, level=2)).to_be_visible()
    page.get_by_role("button", name=re.compile("Save and continue|Accept and finish")).click()
    if following:
        expect(page.get_by_role("heading", name=following, level=2)).to_be_visible()


def test_new_seller_onboards_in_app_then_a_buyer_buys_their_course(
    page, live_server, log_in, stripe_sandbox, settings
):
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
    visited_sandbox: list[str] = []
    page.on(
        "request",
        lambda request: (
            visited_sandbox.append(request.url)
            if "/stripe-sandbox/" in request.url and request.resource_type == "document"
            else None
        ),
    )
    seller = SellerFactory(email="new.seller@test.example", full_name="Jenny Rosen")
    log_in(seller.email, TEST_PASSWORD)

    page.get_by_role("radio", name=re.compile("Custom: you fill in your details here")).check()
    page.get_by_role("button", name="Create account and start onboarding").click()

    page.wait_for_url(re.compile(r"/connect/custom/business-type/$"))
    shot(page, "custom-1-business-type")
    page.get_by_label("An individual or sole proprietor").check()
    save_and_continue(page, "Type of business", "About you")
    # The step arrived by htmx: the address bar follows it.
    expect(page).to_have_url(re.compile(r"/connect/custom/person/$"))

    page.get_by_label("First name").fill("Jenny")
    page.get_by_label("Last name").fill("Rosen")
    page.get_by_label("Date of birth").fill("1901-01-01")
    page.get_by_label("Email address").fill("jenny@test.example")
    page.get_by_label("Phone number").fill("+12025550123")
    page.get_by_label("Street address").fill("address_full_match")
    page.get_by_label("City").fill("Schenectady")
    page.get_by_label("State").fill("NY")
    page.get_by_label("ZIP or postal code").fill("12345")
    page.get_by_label("Social Security number").fill("111111111")
    shot(page, "custom-2-person")
    save_and_continue(page, "About you", "About you")
    # Stripe could not verify the ID number: only it is asked again, the reason beside it.
    expect(page.get_by_text("could not match this ID number")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_count(0)
    expect(page.get_by_label("Social Security number")).to_have_value("")
    shot(page, "custom-3-person-error")
    page.get_by_label("Social Security number").fill("000000000")
    save_and_continue(page, "About you", "Your business")

    page.get_by_label("Industry").select_option(label="Education: online courses and teaching")
    page.get_by_label("Website").fill("https://jenny.example")
    shot(page, "custom-4-business")
    save_and_continue(page, "Your business", "Bank account for payouts")

    page.get_by_label("Routing number").fill("110000000")
    page.get_by_label("Account number").fill("000123456789")
    shot(page, "custom-5-bank")
    save_and_continue(page, "Bank account for payouts", "Stripe's agreement")

    expect(
        page.get_by_role("link", name="Stripe Connected Account Agreement").first
    ).to_be_visible()
    page.get_by_label("I accept the Stripe Connected Account Agreement").check()
    shot(page, "custom-6-terms")
    save_and_continue(page, "Stripe's agreement", "")

    page.wait_for_url(re.compile(r"/connect/custom/$"))
    expect(page.get_by_role("heading", name="You can take payments")).to_be_visible()
    expect(page.get_by_text("account ending 6789")).to_be_visible()
    shot(page, "custom-7-summary")
    assert visited_sandbox == [], f"the seller saw Stripe's pages: {visited_sandbox}"
    stripe_account = StripeAccount.objects.get(seller=seller)
    assert stripe_account.can_take_charges and stripe_account.payouts_enabled

    page.goto(f"{live_server.url}/account/")
    shot(page, "custom-8-account")
    page.goto(f"{live_server.url}/connect/custom/bank-account/")
    shot(page, "custom-9-change-bank")

    page.goto(f"{live_server.url}/courses/new/")
    page.get_by_label("Title").fill("Pottery for beginners")
    page.get_by_label("Description").fill("Throw your first bowl.")
    page.get_by_label("Course content").fill("Lesson 1: centre the clay.")
    page.get_by_label("Price").fill("49.00")
    page.get_by_label("Currency").select_option("usd")
    page.get_by_label("Published: visible in the catalog").check()
    page.get_by_role("button", name=re.compile("Save|Create")).click()
    page.wait_for_url(re.compile(r"/courses/mine/$"))
    page.get_by_role("button", name="Log out").click()

    buyer = UserFactory(email="buyer@test.example")
    log_in(buyer.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}/courses/")
    page.get_by_role("link", name="Pottery for beginners").first.click()
    page.get_by_role("button", name="Buy for $49.00").click()
    page.wait_for_url(re.compile(r"/stripe-sandbox/"))
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.wait_for_url(re.compile(r"/checkout/success/\?session_id=cs_"))
    page.get_by_role("heading", name="Payment received").wait_for()
    page.get_by_role("button", name="Open course").click()
    expect(page.get_by_text("Lesson 1: centre the clay.")).to_be_visible()

    order = Order.objects.get(course__title="Pottery for beginners")
    assert order.status == Order.Status.PAID
    assert (order.amount, order.stripe_account_id) == (4900, stripe_account.stripe_account_id)
    assert order.charge_type == "destination"
