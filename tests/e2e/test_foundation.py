import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from catalog.models import Course
from tests.accounts.factories import TEST_PASSWORD, SellerFactory
from tests.catalog.factories import CourseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_signs_up_confirms_the_address_and_lands_logged_in(page, live_server):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Full name").fill("New Comer")
    page.get_by_label("Password", exact=True).fill("a-very-good-passphrase")
    page.get_by_label("Password (again)").fill("a-very-good-passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    [message] = mail.outbox
    page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)[0])
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert User.objects.get(email="newcomer@example.com").full_name == "New Comer"


def test_live_search_narrows_the_list_without_a_page_load(page, live_server):
    CourseFactory(title="Watercolour basics")
    CourseFactory(title="Knitting for beginners")
    page.goto(f"{live_server.url}/courses/")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Search by title or teacher").fill("water")
    results = page.get_by_role("region", name="Search results")
    expect(results.get_by_role("link", name="Knitting for beginners")).to_have_count(0)
    expect(results.get_by_role("link", name="Watercolour basics")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/courses/\?q=water$"))
    assert page.evaluate("window.stillTheSamePage") is True


def test_a_seller_creates_a_course_and_sees_it_listed(page, live_server, log_in):
    seller = SellerFactory(email="teacher@example.com")
    log_in(seller.email, TEST_PASSWORD)
    page.get_by_role("link", name="My courses").click()
    page.get_by_role("link", name="Create your first course").click()
    page.get_by_label("Title").fill("Sourdough at home")
    page.get_by_label("Description").fill("Bake real bread.")
    page.get_by_label("Price").fill("19.99")
    page.get_by_label("Currency").select_option("eur")
    # The server works out the fee as the price changes: 10 % of €19.99 is €2.00.
    expect(page.get_by_text("You receive €17.99 after the platform fee of €2.00")).to_be_visible()
    page.get_by_label("Published: visible in the catalog").check()
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_role("link", name="Sourdough at home", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="€19.99")).to_be_visible()
    assert Course.objects.get(title="Sourdough at home").price_amount == 1999
