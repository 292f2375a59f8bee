"""Sellers connect Stripe in Chromium, through the sandbox's hosted consent and onboarding pages."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import StripeAccount, User

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

DEMO_PASSWORD = "justatest"


@pytest.fixture
def demo(stripe_sandbox, settings, page):
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
    # The sandbox's hosted pages declare no icon, so Chromium sometimes asks for /favicon.ico
    # and logs the 404 as a console error; that is not what these tests are about.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    call_command("sandbox_seed_demo", stdout=StringIO())
    call_command("load_demo_data", stdout=StringIO())
    return stripe_sandbox


def card(page):
    return page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Getting paid with Stripe")
    )


def test_seller2_connects_a_standard_account_with_oauth(page, demo, log_in):
    log_in("seller2@example.com", DEMO_PASSWORD)

    card(page).get_by_role("link", name="Connect with Stripe").click()
    expect(page.get_by_role("heading", name="Connect your Stripe account")).to_be_visible()
    expect(page.get_by_label("Email for the new account")).to_have_value("seller2@example.com")
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(f"{demo}/account/")
    stripe_account = StripeAccount.objects.get(seller__email="seller2@example.com")
    expect(page.get_by_role("status")).to_have_text(
        f"Your Stripe account {stripe_account.stripe_account_id} is connected."
    )
    expect(card(page)).to_contain_text(stripe_account.stripe_account_id)
    expect(card(page)).to_contain_text("Standard")
    expect(card(page).get_by_text("Charges enabled")).to_be_visible()
    expect(card(page).get_by_role("link", name="Connect with Stripe")).to_have_count(0)


def test_denying_consent_shows_a_message_and_links_nothing(page, demo, log_in):
    log_in("seller2@example.com", DEMO_PASSWORD)

    card(page).get_by_role("link", name="Connect with Stripe").click()
    page.get_by_role("button", name="Deny").click()

    page.wait_for_url(f"{demo}/account/")
    expect(page.get_by_role("status")).to_have_text(
        "You declined the connection on Stripe. Nothing was connected."
    )
    expect(card(page).get_by_role("link", name="Connect with Stripe")).to_be_visible()
    assert not StripeAccount.objects.filter(seller__email="seller2@example.com").exists()


def test_express_onboarding_returns_to_a_connected_card(page, demo, log_in):
    log_in("seller2@example.com", DEMO_PASSWORD)

    card(page).get_by_label("Express: Stripe hosts onboarding").check()
    card(page).get_by_role("button", name="Create account and start onboarding").click()
    expect(page.get_by_role("heading", name="Set up payments")).to_be_visible()
    page.get_by_label("Business name").fill("Alan's Courses")
    page.get_by_role("button", name="Complete onboarding").click()

    page.wait_for_url(f"{demo}/account/")
    expect(page.get_by_role("status")).to_have_text(
        "Your Stripe account is ready: you can sell courses now."
    )
    expect(card(page)).to_contain_text("Express")
    expect(card(page).get_by_text("Charges enabled")).to_be_visible()
    expect(card(page).get_by_text("Payouts enabled")).to_be_visible()

    card(page).get_by_role("button", name="Stripe dashboard").click()
    expect(page.get_by_role("heading", name="Express dashboard")).to_be_visible()


def test_leaving_custom_onboarding_and_coming_back_resumes_the_form(page, demo, log_in):
    log_in("seller2@example.com", DEMO_PASSWORD)

    card(page).get_by_label(re.compile("Custom: you fill in your details here")).check()
    card(page).get_by_role("button", name="Create account and start onboarding").click()
    page.wait_for_url(re.compile(r"/connect/custom/business-type/$"))
    page.get_by_label("An individual or sole proprietor").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="About you", level=2)).to_be_visible()

    page.goto(f"{demo}/account/")
    expect(card(page)).to_contain_text("Onboarding pending")
    expect(card(page)).to_contain_text("Stripe still needs:")
    expect(card(page)).to_contain_text("Date of birth")
    expect(card(page)).not_to_contain_text("individual.")
    expect(card(page)).to_contain_text("Custom")

    card(page).get_by_role("link", name="Continue onboarding").click()
    page.wait_for_url(re.compile(r"/connect/custom/person/$"))
    expect(page.get_by_label("First name")).to_be_visible()


def test_disconnect_stops_sales_and_offers_to_connect_again(page, demo, log_in):
    log_in("seller@example.com", DEMO_PASSWORD)
    seller = User.objects.get(email="seller@example.com")

    card(page).get_by_role("link", name="Disconnect…").click()
    page.get_by_role("button", name="Disconnect Stripe account").click()

    page.wait_for_url(f"{demo}/account/")
    expect(page.get_by_role("status")).to_contain_text(
        "Stripe account acct_1DemoSellerSandbox was disconnected."
    )
    expect(card(page).get_by_role("link", name="Connect with Stripe")).to_be_visible()
    assert not StripeAccount.objects.get(seller=seller).is_connected
    course = seller.courses.first()
    page.goto(f"{demo}{course.get_absolute_url()}")
    expect(page.get_by_text("Not available yet.")).to_be_visible()


def test_buyer_following_a_connect_link_stays_on_the_site(page, demo, log_in):
    log_in("buyer@example.com", DEMO_PASSWORD)

    page.goto(f"{demo}/connect/authorize/")

    page.wait_for_url(f"{demo}/account/")
    expect(page.get_by_role("alert")).to_have_text(
        "Only sellers can connect a Stripe account. Ask an administrator for selling rights."
    )
    expect(page.get_by_role("heading", name="Getting paid with Stripe")).to_have_count(0)


PHONE = {"width": 390, "height": 844}
UNLABELLED_FIELDS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.type !== 'submit')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("seller2@example.com", "/account/"),
        ("seller2@example.com", "/"),
        ("seller@example.com", "/connect/disconnect/"),
    ],
)
def test_connect_pages_fit_a_phone(page, demo, log_in, email, path):
    page.set_viewport_size(PHONE)
    log_in(email, DEMO_PASSWORD)

    page.goto(f"{demo}{path}")

    assert page.title().strip()
    assert page.evaluate(UNLABELLED_FIELDS) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
