"""The seller's chart at its edges (one or two months of history, exactly 92 days, exactly 24
months, a history that starts on a local new year), the course choices, the buyer search, a
sale's page and its refunds: what `dashboards.selectors.seller` must show exactly."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dashboards.charts import revenue_bar_chart
from dashboards.periods import period_resolve
from dashboards.selectors.common import SaleFilters
from dashboards.selectors.seller import (
    refund_list_for_order,
    sale_course_choices_for_seller,
    sale_get_visible,
    sale_list_for_seller,
    sale_revenue_series_for_seller,
)
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import RefundFactory, SaleFactory

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(seller):
    return CourseFactory(seller=seller, price_amount=10_000, currency="usd", title="Django")


def _all_time(zone=UTC):
    return period_resolve(key="all", zone=zone, now=NOW)


def _figures(series):
    return [(point.day, point.count, point.gross, point.refunds) for point in series.points]


def test_a_92_day_period_is_charted_by_day_and_a_93_day_one_by_month(seller, course):
    # 92 days is the longest period still drawn day by day (a quarter of 31 + 30 + 31 days).
    SaleFactory(course=course, amount=1_000, paid_at=dt.datetime(2025, 12, 19, 9, tzinfo=UTC))
    SaleFactory(course=course, amount=3_000, paid_at=NOW)
    quarter = period_resolve(
        key="custom", zone=UTC, now=NOW, first_day=dt.date(2025, 12, 19), last_day=TODAY
    )
    longer = period_resolve(
        key="custom", zone=UTC, now=NOW, first_day=dt.date(2025, 12, 18), last_day=TODAY
    )

    [daily] = sale_revenue_series_for_seller(seller=seller, period=quarter, today=TODAY)
    [monthly] = sale_revenue_series_for_seller(seller=seller, period=longer, today=TODAY)

    assert quarter.days == 92
    assert revenue_bar_chart(series=daily).title == "Gross sales per day (USD)"
    assert len(daily.points) == 92
    assert _figures(daily)[0] == (dt.date(2025, 12, 19), 1, 1_000, 0)
    assert _figures(daily)[1] == (dt.date(2025, 12, 20), 0, 0, 0)
    assert _figures(daily)[-1] == (TODAY, 1, 3_000, 0)
    assert revenue_bar_chart(series=monthly).title == "Gross sales per month (USD)"
    assert [point.gross for point in monthly.points] == [1_000, 0, 0, 3_000]


def test_a_history_of_two_months_puts_each_sale_in_its_own_month(seller, course):
    # Two bars: the only case where the month of a sale is decided by one boundary.
    SaleFactory(course=course, amount=1_000, paid_at=dt.datetime(2026, 2, 15, tzinfo=UTC))
    SaleFactory(course=course, amount=3_000, paid_at=NOW)

    [series] = sale_revenue_series_for_seller(seller=seller, period=_all_time(), today=TODAY)

    assert series.by_month
    assert _figures(series) == [
        (dt.date(2026, 2, 1), 1, 1_000, 0),
        (dt.date(2026, 3, 1), 1, 3_000, 0),
    ]


def test_a_history_of_one_month_is_one_bar(seller, course):
    SaleFactory(course=course, amount=1_000, paid_at=dt.datetime(2026, 3, 2, tzinfo=UTC))
    SaleFactory(course=course, amount=3_000, paid_at=NOW)

    [series] = sale_revenue_series_for_seller(seller=seller, period=_all_time(), today=TODAY)

    assert _figures(series) == [(dt.date(2026, 3, 1), 2, 4_000, 0)]


def test_months_without_sales_show_zero_sales_gross_and_refunds(seller, course):
    # The chart's table prints each month's refunds; an empty month is "$0.00", not a blank.
    SaleFactory(
        course=course,
        amount=10_000,
        refunded_amount=2_500,
        status="partially_refunded",
        paid_at=dt.datetime(2025, 12, 5, tzinfo=UTC),
    )
    SaleFactory(course=course, amount=4_000, paid_at=NOW)

    [series] = sale_revenue_series_for_seller(seller=seller, period=_all_time(), today=TODAY)

    assert _figures(series) == [
        (dt.date(2025, 12, 1), 1, 10_000, 2_500),
        (dt.date(2026, 1, 1), 0, 0, 0),
        (dt.date(2026, 2, 1), 0, 0, 0),
        (dt.date(2026, 3, 1), 1, 4_000, 0),
    ]
    assert series.total == 14_000


def test_an_all_time_chart_starts_in_the_sellers_month_of_the_first_sale(seller, course):
    # 20:00 UTC on 31 December 2025 is 05:00 on 1 January 2026 in Tokyo: no December bar.
    SaleFactory(course=course, amount=1_000, paid_at=dt.datetime(2025, 12, 31, 20, tzinfo=UTC))
    SaleFactory(course=course, amount=3_000, paid_at=NOW)

    [series] = sale_revenue_series_for_seller(seller=seller, period=_all_time(TOKYO), today=TODAY)

    assert _figures(series) == [
        (dt.date(2026, 1, 1), 1, 1_000, 0),
        (dt.date(2026, 2, 1), 0, 0, 0),
        (dt.date(2026, 3, 1), 1, 3_000, 0),
    ]


def test_a_history_of_24_months_is_charted_by_month_and_of_25_by_year(seller, course):
    # April 2024 to March 2026 is 24 bars, the most a monthly chart draws.
    first = SaleFactory(course=course, amount=1_000, paid_at=dt.datetime(2024, 4, 10, tzinfo=UTC))
    SaleFactory(course=course, amount=3_000, paid_at=NOW)

    [monthly] = sale_revenue_series_for_seller(seller=seller, period=_all_time(), today=TODAY)
    first.paid_at = dt.datetime(2024, 3, 10, tzinfo=UTC)
    first.save()
    [yearly] = sale_revenue_series_for_seller(seller=seller, period=_all_time(), today=TODAY)

    assert revenue_bar_chart(series=monthly).title == "Gross sales per month (USD)"
    assert len(monthly.points) == 24
    assert _figures(monthly)[0] == (dt.date(2024, 4, 1), 1, 1_000, 0)
    assert _figures(monthly)[-1] == (dt.date(2026, 3, 1), 1, 3_000, 0)
    assert revenue_bar_chart(series=yearly).title == "Gross sales per year (USD)"
    assert _figures(yearly) == [
        (dt.date(2024, 1, 1), 1, 1_000, 0),
        (dt.date(2025, 1, 1), 0, 0, 0),
        (dt.date(2026, 1, 1), 1, 3_000, 0),
    ]


def test_the_course_filter_lists_the_sellers_courses_by_title(seller):
    zeta = CourseFactory(seller=seller, title="Zeta")
    alpha = CourseFactory(seller=seller, title="Alpha")
    CourseFactory(title="Another seller's")

    assert sale_course_choices_for_seller(seller=seller) == [
        (alpha.pk, "Alpha"),
        (zeta.pk, "Zeta"),
    ]


def test_buyer_email_search_ignores_case_in_a_non_ascii_domain(seller, course):
    # Emails are stored lowercased in full, so the search is lowercased in full; SQLite's LIKE
    # folds ASCII letters only, and PostgreSQL's folds none.
    muller = SaleFactory(course=course, buyer=UserFactory(email="ada@müller.example"))
    SaleFactory(course=course, buyer=UserFactory(email="ada@example.com"))

    found = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, search="Ada@MÜ"))

    assert list(found) == [muller]


def test_a_sales_page_names_buyer_course_and_seller_from_one_query(
    seller, buyer, staff_user, course, django_assert_num_queries
):
    # Staff read "to <seller's email>" on the sale's page; it comes with the sale, not after it.
    sale = SaleFactory(course=course, buyer=buyer)

    with django_assert_num_queries(1):
        found = sale_get_visible(pk=sale.pk, user=staff_user)
        assert (found.seller.email, found.buyer.email, found.course.title, found.item_title) == (
            "seller@test.example",
            "buyer@test.example",
            "Django",
            "Django",
        )


def test_a_sales_refunds_are_listed_oldest_first_by_date(course):
    sale = SaleFactory(course=course, paid_at=NOW - dt.timedelta(days=1))
    # Saved first but dated later (two hosts' clocks, or loaded data): the date decides.
    later = RefundFactory(order=sale, amount=1_000, created_at=NOW + dt.timedelta(hours=2))
    earlier = RefundFactory(order=sale, amount=2_000, created_at=NOW + dt.timedelta(hours=1))
    RefundFactory(amount=500, created_at=NOW)  # another sale's

    assert refund_list_for_order(order=sale) == [earlier, later]
