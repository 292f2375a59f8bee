"""The connection card in Chromium, without Stripe: polling while pending, then stopping."""

import re

from playwright.sync_api import expect

from accounts.models import StripeAccount
from tests.accounts.factories import TEST_PASSWORD, StripeAccountFactory


def test_pending_card_updates_itself_and_stops_polling(page, live_server, log_in):
    stripe_account = StripeAccountFactory(
        account_type="express",
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        requirements_due=["external_account"],
    )
    log_in(stripe_account.seller.email, TEST_PASSWORD)
    card = page.get_by_role("article").filter(has_text="Getting paid with Stripe")
    expect(card).to_contain_text("Onboarding pending")
    expect(card).to_contain_text("Bank account for payouts")
    expect(card).not_to_contain_text("external_account")
    expect(card).to_have_attribute("hx-trigger", re.compile("every"))

    # What an `account.updated` webhook does while the seller watches the page.
    StripeAccount.objects.filter(pk=stripe_account.pk).update(
        charges_enabled=True, payouts_enabled=True, details_submitted=True, requirements_due=[]
    )

    expect(card).to_contain_text("You can sell courses.", timeout=8_000)
    expect(card).not_to_have_attribute("hx-trigger", re.compile(".*"))
    expect(card.get_by_text("Charges enabled")).to_be_visible()


def test_home_page_offers_connect_to_an_unconnected_seller(page, live_server, log_in, seller):
    log_in(seller.email, TEST_PASSWORD)

    page.goto(f"{live_server.url}/")

    expect(page.get_by_role("link", name="Connect with Stripe")).to_be_visible()
    expect(
        page.get_by_label("Express: Stripe hosts onboarding and gives you a simple dashboard")
    ).to_be_checked()
