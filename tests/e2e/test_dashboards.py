import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from checkout.models import Order
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import SaleFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seller_with_sales(seller):
    course = CourseFactory(seller=seller, title="Pottery for beginners", price_amount=2_500)
    now = timezone.now()
    for n in range(30):
        SaleFactory(course=course, paid_at=now - dt.timedelta(hours=n + 1))
    SaleFactory(
        course=course,
        status=Order.Status.REFUNDED,
        refunded_amount=2_500,
        paid_at=now - dt.timedelta(days=3),
    )
    return seller


@pytest.fixture
def sign_in(page, live_server):
    """Put a session cookie in the browser, so the test starts on the page it is about."""

    def _sign_in(user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return _sign_in


def _sales_rows(page):
    return page.get_by_role("region", name="All sales").get_by_role("row")


def test_seller_filters_and_pages_sales_without_reloading_and_back_restores(
    page, live_server, sign_in, seller_with_sales
):
    sign_in(seller_with_sales)
    page.goto(f"{live_server.url}/dashboard/sales/")
    page.evaluate("window.pageLoadMarker = 'first load'")
    expect(page.get_by_text("31 sales match.")).to_be_visible()

    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(_sales_rows(page)).to_have_count(1 + 6)

    page.get_by_label("Status").select_option("refunded")
    expect(page).to_have_url(re.compile(r"status=refunded"))
    expect(page.get_by_text("1 sale matches.")).to_be_visible()
    expect(_sales_rows(page)).to_have_count(2)

    page.get_by_role("link", name=re.compile(r"^Amount")).click()
    expect(page).to_have_url(re.compile(r"sort=-amount"))
    expect(page.get_by_role("columnheader", name=re.compile("Amount"))).to_have_attribute(
        "aria-sort", "descending"
    )
    assert page.evaluate("window.pageLoadMarker") == "first load"

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"sort=-amount"))
    expect(page).to_have_url(re.compile(r"status=refunded"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.get_by_label("Status")).to_have_value("")
    assert page.evaluate("window.pageLoadMarker") == "first load"


def test_seller_downloads_the_filtered_sales_as_csv(page, live_server, sign_in, seller_with_sales):
    sign_in(seller_with_sales)
    page.goto(f"{live_server.url}/dashboard/sales/?status=refunded")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these sales as CSV").click()
    download = download_info.value
    with open(download.path(), encoding="utf-8") as csv_file:
        lines = csv_file.read().splitlines()

    assert download.suggested_filename.startswith("sales-")
    assert lines[0].startswith("order_id,paid_at,course,buyer_email,status")
    assert len(lines) == 2
    assert ",refunded," in lines[1] and "Pottery for beginners" in lines[1]


def test_a_new_sale_shows_up_on_the_open_dashboard(
    page, live_server, sign_in, seller_with_sales, settings
):
    settings.DASHBOARD_POLL_SECONDS = 1
    sign_in(seller_with_sales)
    page.goto(f"{live_server.url}/dashboard/sales/")
    page.evaluate("window.pageLoadMarker = 'first load'")
    new_sales = page.get_by_role("region", name="New sales")
    expect(new_sales.get_by_role("listitem")).to_have_count(0)

    # A buyer elsewhere completes a purchase.
    sale = SaleFactory(course=seller_with_sales.courses.get(), paid_at=timezone.now())

    expect(new_sales.get_by_role("link", name=re.compile(rf"#{sale.pk} "))).to_be_visible(
        timeout=5_000
    )
    expect(new_sales.get_by_role("listitem")).to_have_count(1)
    # The cursor moved on: the same sale is not added again by the next polls.
    page.wait_for_timeout(2_500)
    expect(new_sales.get_by_role("listitem")).to_have_count(1)
    assert page.evaluate("window.pageLoadMarker") == "first load"


def test_dashboards_fit_a_phone_screen(page, live_server, sign_in, seller_with_sales):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(seller_with_sales)
    for path in ("/dashboard/sales/", "/dashboard/purchases/"):
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path


def test_buyer_filters_purchases_without_reloading(page, live_server, sign_in, buyer, seller):
    course = CourseFactory(seller=seller, title="Watercolour basics")
    SaleFactory(course=course, buyer=buyer)
    SaleFactory(course=CourseFactory(seller=seller, title="Sourdough"), buyer=buyer)
    sign_in(buyer)
    page.goto(f"{live_server.url}/dashboard/purchases/")
    page.evaluate("window.pageLoadMarker = 'first load'")

    page.get_by_label("Course title").fill("water")
    page.get_by_label("Course title").press("Enter")

    expect(page).to_have_url(re.compile(r"q=water"))
    expect(page.get_by_text("1 purchase matches.")).to_be_visible()
    expect(page.get_by_role("cell", name="Watercolour basics", exact=True)).to_be_visible()
    assert page.evaluate("window.pageLoadMarker") == "first load"
    page.get_by_role("link", name=re.compile("^Receipt")).click()
    expect(page).to_have_title(re.compile("Receipt for order"))
