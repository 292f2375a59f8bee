"""The sandbox's hosted Checkout page in Chromium, filled in by label like a buyer would."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PHONE = {"width": 390, "height": 844}


def _session(sdk, live_server, currency="usd", amount=4900):
    back = f"{live_server.url}/stripe-sandbox/"
    return sdk.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "product_data": {"name": "Django for Beginners"},
                    },
                }
            ],
            "success_url": f"{back}?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{back}?cancelled=1",
        }
    )


def _fill_card(page, number):
    page.get_by_label("Email").fill("buyer@example.com")
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Bo Buyer")


def test_paying_with_the_success_card_lands_on_success_url(page, sdk, live_server):
    session = _session(sdk, live_server)
    page.goto(session.url)
    expect(page.get_by_text("$49.00").first).to_be_visible()

    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $49.00").click()

    page.wait_for_url(re.compile(rf"session_id={session.id}$"))
    assert sdk.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_declined_card_shows_the_error_and_stays_on_the_page(page, sdk, live_server):
    session = _session(sdk, live_server)
    page.goto(session.url)

    _fill_card(page, "4000000000000002")
    page.get_by_role("button", name="Pay $49.00").click()

    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    assert page.url == session.url
    assert sdk.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_back_link_returns_to_cancel_url(page, sdk, live_server):
    session = _session(sdk, live_server)
    page.goto(session.url)

    page.get_by_role("link", name="Back").click()

    page.wait_for_url(re.compile(r"cancelled=1$"))


def test_checkout_page_fits_a_phone_and_shows_yen_without_decimals(page, sdk, live_server):
    session = _session(sdk, live_server, currency="jpy", amount=4900)
    page.set_viewport_size(PHONE)

    page.goto(session.url)

    expect(page.get_by_role("button", name="Pay ¥4,900")).to_be_visible()
    assert page.title()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


def test_inspector_lists_the_payment_and_advances_a_subscription_on_a_phone(page, sdk, live_server):
    account = sdk.v1.accounts.create(params={"type": "express", "email": "pat@example.com"})
    back = f"{live_server.url}/stripe-sandbox/"
    session = sdk.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 900,
                        "recurring": {"interval": "month"},
                        "product_data": {"name": "Membership"},
                    },
                }
            ],
            "subscription_data": {
                "application_fee_percent": 10,
                "transfer_data": {"destination": account.id},
            },
            "success_url": f"{back}?session_id={{CHECKOUT_SESSION_ID}}",
        }
    )
    page.set_viewport_size(PHONE)
    page.goto(session.url)
    _fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(re.compile(rf"session_id={session.id}$"))

    subscription = sdk.v1.checkout.sessions.retrieve(session.id).subscription
    page.get_by_role("button", name=f"Advance {subscription} to next period").click()

    page.wait_for_url(re.compile(r"#payments-subscriptions$"))
    expect(page.get_by_text("$0.90").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    invoices = sdk.v1.invoices.list(params={"subscription": subscription}).data
    assert [invoice.status for invoice in invoices] == ["paid", "paid"]
