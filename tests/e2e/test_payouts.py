"""A seller sells, opens Payouts, makes the funds available in the sandbox, runs payouts and
sees the payout paid with the sale it paid out."""

import os
import re

import pytest

from tests.accounts.factories import TEST_PASSWORD
from tests.checkout.sandbox import deliver_webhooks
from tests.checkout.test_sandbox_payments import CARD_OK, buy, pay

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# Set SCREENSHOTS=/some/dir to keep the pages as images (1280 px and 390 px wide).
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")


def shot(page, name: str) -> None:
    if not SCREENSHOTS:
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_seller_sees_a_payout_paid_with_its_sale(page, live_server, log_in, stripe_sandbox):
    order = buy(stripe_sandbox=live_server.url, course_charge_type="auto", account_type="express")
    pay(order, CARD_OK)
    deliver_webhooks()
    log_in(order.seller.email, TEST_PASSWORD)

    page.goto(f"{live_server.url}/dashboard/sales/")
    shot(page, "sales")
    page.get_by_role("link", name="Balance and payouts").click()
    page.get_by_role("heading", name="Payouts", exact=True).wait_for()
    assert page.get_by_text("No payouts yet").is_visible()
    assert page.get_by_role("definition").filter(has_text="$44.10").is_visible()  # pending
    shot(page, "payouts-empty")

    page.goto(f"{live_server.url}/stripe-sandbox/")
    row = page.get_by_role("row").filter(has_text=order.stripe_account_id)
    row.get_by_role("button", name="Make funds available now").click()
    row = page.get_by_role("row").filter(has_text=order.stripe_account_id)
    row.get_by_role("button", name="Run payouts").click()
    page.wait_for_load_state()
    deliver_webhooks()

    page.goto(f"{live_server.url}/dashboard/payouts/")
    payout_row = page.get_by_role("row").filter(has_text="$44.10").filter(has_text="Paid")
    assert payout_row.is_visible()
    shot(page, "payouts")
    payout_row.get_by_role("link").click()
    page.get_by_role("heading", name=re.compile(r"^Payout of \$44\.10")).wait_for()
    sale = page.get_by_role("row").filter(has_text=f"#{order.pk}")
    assert sale.get_by_role("cell", name="$44.10").is_visible()
    shot(page, "payout-detail")

    page.get_by_role("link", name=f"#{order.pk}").click()
    assert page.get_by_text("paid by the platform").is_visible()
    shot(page, "sale-detail")
