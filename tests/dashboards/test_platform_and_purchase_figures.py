"""What the staff's platform page and a buyer's purchases page show, row by row: each charge
type and top seller named as people read them, the sellers who joined first, refunds inside the
period only, the disputed sales newest first, and pages whose query count does not grow with
their rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkout.models import Order
from dashboards.periods import period_resolve
from dashboards.selectors.platform import (
    platform_fees_by_charge_type,
    platform_pending_sellers,
    platform_recent_disputes,
    platform_refund_totals,
    platform_top_sellers,
)
from tests.accounts.factories import SellerFactory, StripeAccountFactory
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import RefundFactory, SaleFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def _day(day: dt.date):
    return period_resolve(key="custom", zone=UTC, now=NOW, first_day=day, last_day=day)


ALL_TIME = period_resolve(key="all", zone=UTC, now=NOW)


def _queries_of_get(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_margin_rows_name_each_charge_type_as_staff_read_it(client, staff_user):
    course = CourseFactory(currency="usd", price_amount=5_000)
    for charge_type in Order.ChargeType:
        SaleFactory(course=course, charge_type=charge_type, paid_at=NOW)

    for period in (_day(NOW.date()), ALL_TIME):
        rows = platform_fees_by_charge_type(period=period)
        assert [(row.charge_type_label, row.currency, row.count) for row in rows] == [
            ("Destination charge", "usd", 1),
            ("Direct charge", "usd", 1),
            ("Separate charge and transfer", "usd", 1),
        ]
    client.force_login(staff_user)
    html = client.get(reverse("dashboards:platform") + "?period=all").content.decode()
    margin = html.split('id="fees-heading"')[1].split("</section>")[0]
    assert '<th scope="row">Separate charge and transfer</th>' in margin


def test_top_sellers_are_named_by_their_full_name_above_their_email(client, staff_user):
    grace = SellerFactory(email="grace@test.example", full_name="Grace Hopper")
    SaleFactory(course=CourseFactory(seller=grace, currency="usd"), paid_at=NOW)

    for period in (_day(NOW.date()), ALL_TIME):
        [row] = platform_top_sellers(period=period)
        assert (row.name, row.email) == ("Grace Hopper", "grace@test.example")
    client.force_login(staff_user)
    html = client.get(reverse("dashboards:platform") + "?period=all").content.decode()
    top = html.split('id="top-heading"')[1].split("</section>")[0]
    assert '<th scope="row">Grace Hopper<small class="muted">grace@test.example</small>' in top


def test_pending_sellers_are_listed_by_the_day_they_joined_not_by_sign_up_order():
    # Staff can correct a seller's joining date in the admin, so a later account can have
    # joined first; the page says it shows "the ones who joined first".
    signed_up_first = SellerFactory(date_joined=dt.datetime(2026, 3, 1, tzinfo=UTC))
    joined_first = SellerFactory(date_joined=dt.datetime(2025, 1, 1, tzinfo=UTC))
    joined_last = SellerFactory(date_joined=dt.datetime(2026, 3, 2, tzinfo=UTC))

    sellers, count = platform_pending_sellers()

    assert sellers == [joined_first, signed_up_first, joined_last]
    assert count == 3


def test_sellers_who_joined_in_the_same_second_are_listed_by_id():
    # Saving a user in the admin drops the microseconds of their joining time, so sellers can
    # share one; they must not swap places (or drop off the list's end) from one load to the
    # next. PostgreSQL may hand back equal rows in the order it read them, here the reverse of
    # their ids; SQLite reads by id, so only PostgreSQL catches an ordering without the id.
    second = dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    ids = [900_003, 900_002, 900_001]
    created = [SellerFactory(id=pk, date_joined=second) for pk in ids]

    sellers, _ = platform_pending_sellers()

    assert sellers == created[::-1]


def test_platform_page_queries_do_not_grow_with_pending_sellers(client, staff_user):
    # Each row shows the seller's Stripe account state; it must come with the seller.
    StripeAccountFactory(charges_enabled=False)
    client.force_login(staff_user)
    url = reverse("dashboards:platform")
    _queries_of_get(client, url)
    with_one = _queries_of_get(client, url)

    StripeAccountFactory(charges_enabled=False)
    StripeAccountFactory(disconnected_at=NOW)
    SellerFactory()
    html = client.get(url).content.decode()

    assert _queries_of_get(client, url) == with_one
    assert "Sellers who cannot take payments yet (4)" in html


def test_refunds_are_counted_in_the_period_they_were_made_and_no_later():
    sale = SaleFactory(paid_at=NOW - dt.timedelta(days=10), amount=9_000, refunded_amount=700)
    RefundFactory(order=sale, amount=100, created_at=NOW - dt.timedelta(days=2))
    RefundFactory(order=sale, amount=200, created_at=NOW - dt.timedelta(days=1))
    RefundFactory(order=sale, amount=400, created_at=NOW)

    [yesterday] = platform_refund_totals(period=_day(NOW.date() - dt.timedelta(days=1)))

    assert (yesterday.currency, yesterday.count, yesterday.amount) == (sale.currency, 1, 200)


def test_latest_disputed_sales_are_the_disputed_ones_only_newest_first():
    older = SaleFactory(status=Order.Status.DISPUTED, paid_at=NOW - dt.timedelta(days=3))
    newer = SaleFactory(status=Order.Status.DISPUTED, paid_at=NOW - dt.timedelta(days=1))
    SaleFactory(status=Order.Status.PAID, paid_at=NOW)
    SaleFactory(status=Order.Status.DISPUTE_LOST, paid_at=NOW)
    SaleFactory(status=Order.Status.REFUNDED, refunded_amount=1, paid_at=NOW)

    assert platform_recent_disputes() == [newer, older]


def test_platform_page_queries_do_not_grow_with_disputed_sales(client, staff_user):
    # Each row names the course and the seller: they must come with the sale.
    SaleFactory(status=Order.Status.DISPUTED)
    client.force_login(staff_user)
    url = reverse("dashboards:platform")
    _queries_of_get(client, url)
    with_one = _queries_of_get(client, url)

    disputed = SaleFactory.create_batch(3, status=Order.Status.DISPUTED)
    html = client.get(url).content.decode()

    assert _queries_of_get(client, url) == with_one
    for sale in disputed:
        assert sale.course.title in html and sale.seller.email in html


def test_purchases_page_queries_do_not_grow_with_purchases(client, buyer):
    # Each row names the course and its seller: they must come with the purchase.
    SaleFactory(buyer=buyer)
    client.force_login(buyer)
    url = reverse("dashboards:purchases")
    _queries_of_get(client, url)
    with_one = _queries_of_get(client, url)

    bought = SaleFactory.create_batch(3, buyer=buyer)
    html = client.get(url).content.decode()

    assert _queries_of_get(client, url) == with_one
    for sale in bought:
        assert sale.course.title in html and sale.seller.display_name in html
