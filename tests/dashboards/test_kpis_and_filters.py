"""The seller's KPI cards against the previous period, a past period's figures, and the sales
table's date filter and sort (`dashboards.selectors.common`)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from checkout.models import Order
from dashboards.periods import period_resolve
from dashboards.selectors.common import SaleFilters
from dashboards.selectors.seller import (
    sale_kpis_for_seller,
    sale_list_for_seller,
    sale_totals_by_course_for_seller,
)
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import SaleFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
YESTERDAY = NOW - dt.timedelta(days=1)


def _days(first: dt.date, last: dt.date, zone=UTC):
    return period_resolve(key="custom", zone=zone, now=NOW, first_day=first, last_day=last)


@pytest.fixture
def course(seller):
    return CourseFactory(seller=seller, price_amount=10_000, currency="usd", title="Django")


def _direct_sale(course, **figures):
    # Direct charges: the seller bears Stripe's fee and any dispute, so every figure of the
    # KPI cards (refunds, fees returned, disputes, net) moves.
    return SaleFactory(course=course, charge_type=Order.ChargeType.DIRECT, **figures)


def test_kpis_show_only_this_periods_money_and_compare_it_with_the_previous_period(course):
    seller = course.seller
    # Today: a partly refunded sale and a lost dispute.
    _direct_sale(
        course,
        amount=10_000,
        fee_amount=1_000,
        stripe_fee_amount=320,
        refunded_amount=2_000,
        fee_refunded_amount=200,
        status=Order.Status.PARTIALLY_REFUNDED,
        paid_at=NOW,
    )
    _direct_sale(
        course,
        amount=5_000,
        fee_amount=500,
        stripe_fee_amount=175,
        dispute_amount=5_000,
        dispute_fee_amount=1_500,
        status=Order.Status.DISPUTE_LOST,
        paid_at=NOW,
    )
    # Yesterday, the previous period: a full refund, a lost dispute and a plain sale. None of
    # their money may appear in today's cards; only the previous figures compare with them.
    _direct_sale(
        course,
        amount=20_000,
        fee_amount=2_000,
        stripe_fee_amount=600,
        refunded_amount=20_000,
        fee_refunded_amount=2_000,
        status=Order.Status.REFUNDED,
        paid_at=YESTERDAY,
    )
    _direct_sale(
        course,
        amount=8_000,
        fee_amount=800,
        stripe_fee_amount=250,
        dispute_amount=8_000,
        dispute_fee_amount=1_500,
        status=Order.Status.DISPUTE_LOST,
        paid_at=YESTERDAY,
    )
    _direct_sale(
        course, amount=40_000, fee_amount=4_000, stripe_fee_amount=1_200, paid_at=YESTERDAY
    )

    [usd] = sale_kpis_for_seller(seller=seller, period=_days(NOW.date(), NOW.date()))

    assert (usd.currency, usd.count, usd.gross, usd.fees, usd.refunds) == (
        "usd",
        2,
        15_000,
        1_500,
        2_000,
    )
    assert (usd.fees_returned, usd.platform_fees, usd.seller_disputes) == (200, 1_300, 6_500)
    # 10_000 − 320 − 800 − 2_000 and 5_000 − 175 − 500 − 6_500.
    assert usd.net == 6_880 - 2_175
    assert usd.seller_stripe_fees == 320 + 175
    # Yesterday: −600 (refunded), −2_550 (dispute) and 34_800.
    assert (usd.previous_count, usd.previous_gross, usd.previous_net) == (3, 68_000, 31_650)
    assert (usd.count_change, usd.gross_change, usd.net_change) == (
        Decimal("-33.3"),
        Decimal("-77.9"),
        Decimal("-85.1"),
    )


def test_a_currency_sold_only_in_the_previous_period_shows_zeros_and_a_full_drop(seller):
    euros = CourseFactory(seller=seller, price_amount=4_000, currency="eur")
    SaleFactory(course=euros, amount=4_000, fee_amount=400, paid_at=YESTERDAY)

    [eur] = sale_kpis_for_seller(seller=seller, period=_days(NOW.date(), NOW.date()))

    # Nothing sold today: every figure is 0 (not blank), the average too (no division by
    # zero), and the change says the sales fell to nothing.
    assert (eur.currency, eur.count, eur.gross, eur.fees, eur.refunds) == ("eur", 0, 0, 0, 0)
    assert (eur.fees_returned, eur.net, eur.seller_disputes, eur.average) == (0, 0, 0, 0)
    assert (eur.previous_count, eur.previous_gross) == (1, 4_000)
    assert (eur.count_change, eur.gross_change) == (Decimal("-100.0"), Decimal("-100.0"))


def test_the_change_beside_a_kpi_rounds_half_up_to_one_decimal(course):
    SaleFactory(course=course, amount=40_000, paid_at=YESTERDAY)
    SaleFactory(course=course, amount=40_100, paid_at=NOW)

    [usd] = sale_kpis_for_seller(seller=course.seller, period=_days(NOW.date(), NOW.date()))

    # +0.25 %: half up shows 0.3, not the banker's 0.2.
    assert usd.gross_change == Decimal("0.3")
    assert usd.count_change == Decimal("0.0")


def test_a_past_periods_course_totals_leave_out_later_sales(course):
    period = _days(dt.date(2026, 3, 10), dt.date(2026, 3, 12), zone=TOKYO)
    # The last moment of 12 March in Tokyo counts; midnight after it is 13 March.
    SaleFactory(
        course=course, amount=3_000, fee_amount=300, paid_at=period.end - dt.timedelta(seconds=1)
    )
    SaleFactory(course=course, amount=7_000, fee_amount=700, paid_at=period.end)
    SaleFactory(course=course, amount=9_000, fee_amount=900, paid_at=NOW)

    [row] = sale_totals_by_course_for_seller(seller=course.seller, period=period)

    assert (row.title, row.count, row.gross, row.fees) == ("Django", 1, 3_000, 300)


def test_sales_table_date_filter_takes_whole_days_in_the_sellers_zone(course):
    # 20 March in Tokyo runs from 19 March 15:00 to 20 March 15:00 UTC.
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 19, 14, 59, tzinfo=UTC))
    first = SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 19, 15, 0, tzinfo=UTC))
    last = SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 20, 14, 59, tzinfo=UTC))
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 20, 15, 0, tzinfo=UTC))
    filters = SaleFilters(
        zone=TOKYO, date_from=dt.date(2026, 3, 20), date_to=dt.date(2026, 3, 20), sort="date"
    )

    assert list(sale_list_for_seller(seller=course.seller, filters=filters)) == [first, last]


@pytest.mark.parametrize("key", ["amount", "course", "buyer", "status"])
def test_every_sales_column_sorts_both_ways(seller, key):
    # Paid oldest to newest, with values that order them differently from their dates, so a
    # sort that fell back to newest first would show.
    oldest, middle, newest = (
        SaleFactory(
            course=CourseFactory(seller=seller, currency="usd", title=title),
            buyer=UserFactory(email=email),
            amount=amount,
            refunded_amount=refunded,
            status=status,
            paid_at=NOW - dt.timedelta(hours=hours),
        )
        for title, email, amount, refunded, status, hours in (
            ("C course", "c@example.com", 5_000, 5_000, Order.Status.REFUNDED, 3),
            ("A course", "a@example.com", 1_000, 0, Order.Status.PAID, 2),
            ("B course", "b@example.com", 3_000, 1_000, Order.Status.PARTIALLY_REFUNDED, 1),
        )
    )

    ascending = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, sort=key))
    descending = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, sort=f"-{key}"))

    assert list(ascending) == [middle, newest, oldest]
    assert list(descending) == [oldest, newest, middle]
