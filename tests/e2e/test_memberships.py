"""A buyer subscribes to a seller's membership in Chromium, opens another of that seller's
courses, cancels (keeping access), and is locked out once the sandbox moves past the period."""

import re

import pytest

from checkout.membership_services import membership_offer_save
from checkout.models import Membership
from tests.accounts.factories import TEST_PASSWORD, UserFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.sandbox import deliver_webhooks, onboarded_seller
from tests.e2e.test_checkout_sandbox import fill_card

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_subscribe_open_another_course_cancel_and_lose_access_after_the_period(
    page, live_server, log_in, stripe_sandbox
):
    seller = onboarded_seller(account_type="express", base_url=live_server.url)
    seller.full_name = "Grace Hopper"
    seller.save()
    first = CourseFactory(seller=seller, title="Compilers", is_published=True, currency="usd")
    other = CourseFactory(
        seller=seller,
        title="Debugging",
        is_published=True,
        content="Lesson 1: find the moth.",
    )
    membership_offer_save(seller=seller, currency="usd", monthly_amount=1900, yearly_amount=None)
    buyer = UserFactory(email="member@test.example")
    log_in(buyer.email, TEST_PASSWORD)

    page.goto(f"{live_server.url}{first.get_absolute_url()}")
    page.get_by_text("Included in Grace Hopper's membership — $19.00/month").wait_for()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(re.compile(r"/stripe-sandbox/pay/"))
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(re.compile(r"/checkout/memberships/welcome/\?session_id=cs_"))
    page.get_by_role("heading", name="You're a member").wait_for()

    # Another course of the same seller is open, though only the membership was bought.
    page.get_by_role("link", name="Debugging").click()
    page.get_by_text("Lesson 1: find the moth.").wait_for()
    deliver_webhooks()

    page.goto(f"{live_server.url}/dashboard/purchases/")
    page.get_by_role("link", name=re.compile(r"^Cancel")).click()
    page.get_by_role("button", name="Yes, cancel at period end").click()
    page.wait_for_url(f"{live_server.url}/dashboard/purchases/")
    page.get_by_text(re.compile(r"Access until .*, no further payment")).wait_for()
    deliver_webhooks()
    page.goto(f"{live_server.url}/courses/{other.slug}/content/")
    page.get_by_text("Lesson 1: find the moth.").wait_for()

    membership = Membership.objects.get(buyer=buyer)
    page.goto(f"{live_server.url}/stripe-sandbox/")
    page.get_by_role("button", name=f"Advance {membership.subscription_id} to next period").click()
    deliver_webhooks()

    page.goto(f"{live_server.url}/courses/{other.slug}/content/")
    page.wait_for_url(f"{live_server.url}{other.get_absolute_url()}")
    page.get_by_text("Buy this course to open its content.").wait_for()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELED
