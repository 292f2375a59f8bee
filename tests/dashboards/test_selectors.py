import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from checkout.models import Order
from dashboards.periods import period_resolve
from dashboards.selectors.buyer import (
    purchase_get_visible,
    purchase_list_for_buyer,
    purchase_totals_for_buyer,
)
from dashboards.selectors.common import SaleFilters
from dashboards.selectors.platform import (
    platform_dispute_totals,
    platform_fees_by_charge_type,
    platform_kpis,
    platform_pending_sellers,
    platform_refund_totals,
    platform_top_sellers,
)
from dashboards.selectors.seller import (
    sale_get_visible,
    sale_kpis_for_seller,
    sale_list_for_seller,
    sale_list_new_for_seller,
    sale_revenue_series_for_seller,
    sale_totals_by_course_for_seller,
)
from tests.accounts.factories import SellerFactory, StripeAccountFactory, UserFactory
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import PendingOrderFactory, RefundFactory, SaleFactory

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def _day(zone, day: dt.date):
    return period_resolve(key="custom", zone=zone, now=NOW, first_day=day, last_day=day)


@pytest.fixture
def course(seller):
    return CourseFactory(seller=seller, price_amount=10_000, currency="usd", title="Django")


pytestmark = pytest.mark.django_db


def test_kpis_net_out_fees_and_refunds(seller, course):
    SaleFactory(course=course, amount=10_000, fee_amount=1_000, paid_at=NOW)
    SaleFactory(
        course=course,
        amount=10_000,
        fee_amount=1_000,
        refunded_amount=4_000,
        status=Order.Status.PARTIALLY_REFUNDED,
        paid_at=NOW,
    )

    [usd] = sale_kpis_for_seller(seller=seller, period=_day(UTC, NOW.date()))

    assert (usd.currency, usd.count, usd.gross, usd.fees, usd.refunds) == (
        "usd",
        2,
        20_000,
        2_000,
        4_000,
    )
    assert usd.net == 14_000
    assert usd.average == 10_000


def test_kpis_keep_currencies_apart(seller):
    SaleFactory(
        course=CourseFactory(seller=seller, currency="usd", price_amount=5_000), paid_at=NOW
    )
    SaleFactory(
        course=CourseFactory(seller=seller, currency="jpy", price_amount=5_000), paid_at=NOW
    )

    kpis = sale_kpis_for_seller(seller=seller, period=_day(UTC, NOW.date()))

    assert [(kpi.currency, kpi.gross) for kpi in kpis] == [("jpy", 5_000), ("usd", 5_000)]


def test_kpis_ignore_unpaid_orders_and_other_sellers(seller, course):
    PendingOrderFactory(course=course)
    SaleFactory(paid_at=NOW)  # another seller's sale

    assert sale_kpis_for_seller(seller=seller, period=_day(UTC, NOW.date())) == []


def test_kpis_compare_with_the_previous_period(seller, course):
    period = period_resolve(key="7d", zone=UTC, now=NOW)
    SaleFactory(course=course, amount=3_000, fee_amount=300, paid_at=NOW)
    SaleFactory(course=course, amount=3_000, fee_amount=300, paid_at=NOW - dt.timedelta(days=1))
    SaleFactory(course=course, amount=4_000, fee_amount=400, paid_at=NOW - dt.timedelta(days=8))
    # Outside both periods: 15 days ago.
    SaleFactory(course=course, amount=9_000, fee_amount=900, paid_at=NOW - dt.timedelta(days=15))

    [usd] = sale_kpis_for_seller(seller=seller, period=period)

    assert (usd.gross, usd.previous_gross) == (6_000, 4_000)
    assert usd.gross_change == Decimal("50.0")
    assert usd.count_change == Decimal("100.0")


def test_all_time_kpis_have_no_previous_period(seller, course):
    SaleFactory(course=course, paid_at=NOW - dt.timedelta(days=2000))

    [usd] = sale_kpis_for_seller(seller=seller, period=period_resolve(key="all", zone=UTC, now=NOW))

    assert usd.count == 1
    assert usd.gross_change is None


def test_a_late_evening_sale_in_tokyo_counts_on_the_tokyo_day(seller, course):
    # 23:30 on 9 March in Tokyo is 14:30 UTC; 00:10 on 10 March in Tokyo is still 9 March in UTC.
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 9, 14, 30, tzinfo=UTC))
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 9, 15, 10, tzinfo=UTC))

    [tokyo_9th] = sale_kpis_for_seller(seller=seller, period=_day(TOKYO, dt.date(2026, 3, 9)))
    [utc_9th] = sale_kpis_for_seller(seller=seller, period=_day(UTC, dt.date(2026, 3, 9)))

    assert tokyo_9th.count == 1
    assert utc_9th.count == 2


def test_dst_change_day_in_new_york_has_the_right_sales(seller, course):
    # Clocks go forward on 8 March 2026: that local day runs 05:00 UTC to 04:00 UTC next day.
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 8, 4, 30, tzinfo=UTC))  # 7 Mar
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 8, 5, 30, tzinfo=UTC))  # 8 Mar
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 9, 3, 30, tzinfo=UTC))  # 8 Mar 23:30
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 9, 4, 30, tzinfo=UTC))  # 9 Mar 00:30

    [kpi] = sale_kpis_for_seller(seller=seller, period=_day(NEW_YORK, dt.date(2026, 3, 8)))
    period = period_resolve(
        key="custom",
        zone=NEW_YORK,
        now=NOW,
        first_day=dt.date(2026, 3, 7),
        last_day=dt.date(2026, 3, 9),
    )
    [series] = sale_revenue_series_for_seller(seller=seller, period=period, today=NOW.date())

    assert kpi.count == 2
    assert [(point.day.day, point.count) for point in series.points] == [(7, 1), (8, 2), (9, 1)]


def test_revenue_series_fills_empty_days_and_keeps_currencies_apart(seller):
    usd = CourseFactory(seller=seller, currency="usd", price_amount=1_000)
    eur = CourseFactory(seller=seller, currency="eur", price_amount=2_000)
    SaleFactory(course=usd, paid_at=NOW)
    SaleFactory(course=usd, paid_at=NOW - dt.timedelta(days=6))
    SaleFactory(course=eur, paid_at=NOW - dt.timedelta(days=2))
    period = period_resolve(key="7d", zone=UTC, now=NOW)

    series = sale_revenue_series_for_seller(seller=seller, period=period, today=NOW.date())

    assert [one.currency for one in series] == ["eur", "usd"]
    assert [point.gross for point in series[1].points] == [1_000, 0, 0, 0, 0, 0, 1_000]
    assert [point.gross for point in series[0].points] == [0, 0, 0, 0, 2_000, 0, 0]


def test_revenue_series_for_all_time_is_monthly(seller, course):
    SaleFactory(course=course, paid_at=dt.datetime(2025, 11, 15, tzinfo=UTC))
    SaleFactory(course=course, paid_at=NOW)

    [series] = sale_revenue_series_for_seller(
        seller=seller, period=period_resolve(key="all", zone=UTC, now=NOW), today=NOW.date()
    )

    assert series.by_month
    assert [point.day for point in series.points] == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    assert [point.count for point in series.points] == [1, 0, 0, 0, 1]


def test_a_history_longer_than_two_years_is_charted_by_year_in_the_sellers_zone(seller, course):
    # 20:00 UTC on 31 December 2023 is already 1 January 2024 in Tokyo.
    SaleFactory(course=course, paid_at=dt.datetime(2023, 12, 31, 20, 0, tzinfo=UTC))
    SaleFactory(course=course, paid_at=dt.datetime(2023, 6, 1, tzinfo=UTC))
    SaleFactory(course=course, paid_at=NOW)
    period = period_resolve(key="all", zone=TOKYO, now=NOW)

    [series] = sale_revenue_series_for_seller(seller=seller, period=period, today=NOW.date())

    assert series.by_year and not series.by_month
    assert [(point.day.year, point.count) for point in series.points] == [
        (2023, 1),
        (2024, 1),
        (2025, 0),
        (2026, 1),
    ]


def test_a_long_custom_period_is_charted_by_local_month(seller, course):
    # 04:30 UTC on 1 March is still 28 February in New York.
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 1, 4, 30, tzinfo=UTC))
    SaleFactory(course=course, paid_at=dt.datetime(2026, 3, 1, 5, 30, tzinfo=UTC))
    period = period_resolve(
        key="custom",
        zone=NEW_YORK,
        now=NOW,
        first_day=dt.date(2025, 12, 1),
        last_day=dt.date(2026, 3, 20),
    )

    [series] = sale_revenue_series_for_seller(seller=seller, period=period, today=NOW.date())

    assert series.by_month
    assert [(point.day, point.count) for point in series.points] == [
        (dt.date(2025, 12, 1), 0),
        (dt.date(2026, 1, 1), 0),
        (dt.date(2026, 2, 1), 1),
        (dt.date(2026, 3, 1), 1),
    ]


def test_all_time_figures_from_the_running_totals_equal_the_orders(seller, course):
    other_seller_course = CourseFactory(currency="eur", price_amount=2_000)
    SaleFactory(course=course, amount=10_000, fee_amount=1_000, refunded_amount=2_500)
    SaleFactory(course=course, paid_at=NOW - dt.timedelta(days=3000))
    SaleFactory(course=course, charge_type=Order.ChargeType.SEPARATE, status="disputed")
    SaleFactory(course=other_seller_course)
    PendingOrderFactory(course=course)
    everything = period_resolve(
        key="custom", zone=UTC, now=NOW, first_day=dt.date(2000, 1, 1), last_day=dt.date(2100, 1, 1)
    )
    all_time = period_resolve(key="all", zone=UTC, now=NOW)

    def figures(period):
        return (
            [
                (k.currency, k.count, k.gross, k.fees, k.refunds)
                for k in platform_kpis(period=period)
            ],
            [
                (k.currency, k.count, k.gross, k.net)
                for k in sale_kpis_for_seller(seller=seller, period=period)
            ],
            [
                (r.title, r.count, r.gross, r.net)
                for r in sale_totals_by_course_for_seller(seller=seller, period=period)
            ],
            platform_fees_by_charge_type(period=period),
            platform_top_sellers(period=period),
        )

    assert figures(all_time) == figures(everything)
    assert figures(all_time)[0] == [("eur", 1, 2_000, 200, 0), ("usd", 3, 30_000, 3_000, 2_500)]


def test_totals_by_course_net_out_refunds(seller, course):
    other = CourseFactory(seller=seller, title="Flask", price_amount=2_000)
    SaleFactory(course=course, amount=10_000, fee_amount=1_000, refunded_amount=10_000, paid_at=NOW)
    SaleFactory(course=course, amount=10_000, fee_amount=1_000, paid_at=NOW)
    SaleFactory(course=other, amount=2_000, fee_amount=200, paid_at=NOW)

    rows = sale_totals_by_course_for_seller(seller=seller, period=_day(UTC, NOW.date()))

    assert [(row.title, row.count, row.gross, row.net) for row in rows] == [
        ("Django", 2, 20_000, 8_000),
        ("Flask", 1, 2_000, 1_800),
    ]


def test_sale_list_filters_by_course_status_date_and_buyer_email(seller, course):
    other_course = CourseFactory(seller=seller)
    wanted = SaleFactory(
        course=course,
        buyer=UserFactory(email="ada@example.com"),
        status=Order.Status.REFUNDED,
        paid_at=dt.datetime(2026, 3, 9, 14, 30, tzinfo=UTC),  # 9 March in Tokyo
    )
    SaleFactory(course=course, buyer=UserFactory(email="ada2@example.com"), paid_at=NOW)
    SaleFactory(course=other_course, buyer=UserFactory(email="ada3@example.com"))
    SaleFactory(course=course, status=Order.Status.REFUNDED, paid_at=wanted.paid_at)
    filters = SaleFilters(
        zone=TOKYO,
        course_id=course.pk,
        status=Order.Status.REFUNDED,
        date_from=dt.date(2026, 3, 9),
        date_to=dt.date(2026, 3, 9),
        search="ADA@",
    )

    assert list(sale_list_for_seller(seller=seller, filters=filters)) == [wanted]


def test_buyer_email_search_matches_the_start_of_the_email_ignoring_case(seller, course):
    ada = SaleFactory(course=course, buyer=UserFactory(email="ada.lovelace@example.com"))
    SaleFactory(course=course, buyer=UserFactory(email="grace@ada.example"))

    found = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, search="Ada.L"))
    inside = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, search="lovelace"))

    assert list(found) == [ada]
    assert list(inside) == []


def test_buyer_email_search_finds_only_this_sellers_sales(seller, course):
    buyer = UserFactory(email="ada@example.com")
    mine = SaleFactory(course=course, buyer=buyer)
    SaleFactory(buyer=buyer)

    found = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, search="ada@"))

    assert list(found) == [mine]


def test_sale_list_sorts_by_amount_with_a_stable_tie_breaker(seller, course):
    cheap = SaleFactory(course=course, amount=1_000)
    dear_first = SaleFactory(course=course, amount=5_000)
    dear_second = SaleFactory(course=course, amount=5_000)

    ascending = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, sort="amount"))
    descending = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, sort="-amount"))

    assert list(ascending) == [cheap, dear_first, dear_second]
    assert list(descending) == [dear_second, dear_first, cheap]


def test_unknown_sort_falls_back_to_newest_first(seller, course):
    old = SaleFactory(course=course, paid_at=NOW - dt.timedelta(days=1))
    new = SaleFactory(course=course, paid_at=NOW)

    sales = sale_list_for_seller(seller=seller, filters=SaleFilters(zone=UTC, sort="password"))

    assert list(sales) == [new, old]


def test_new_sales_are_those_paid_after_the_last_one_seen(seller, course):
    seen = SaleFactory(course=course, paid_at=NOW - dt.timedelta(minutes=5))
    new = SaleFactory(course=course, paid_at=NOW)
    PendingOrderFactory(course=course)
    SaleFactory(paid_at=NOW)  # another seller's

    assert sale_list_new_for_seller(seller=seller, since=seen.paid_at) == [new]
    assert sale_list_new_for_seller(seller=seller, since=new.paid_at) == []


def test_a_sale_is_visible_to_its_seller_and_staff_only(seller, buyer, staff_user, course):
    sale = SaleFactory(course=course, buyer=buyer)

    assert sale_get_visible(pk=sale.pk, user=seller) == sale
    assert sale_get_visible(pk=sale.pk, user=staff_user) == sale
    assert sale_get_visible(pk=sale.pk, user=SellerFactory()) is None
    assert sale_get_visible(pk=sale.pk, user=buyer) is None


def test_a_pending_order_is_not_a_sale(seller, course):
    order = PendingOrderFactory(course=course)

    assert sale_get_visible(pk=order.pk, user=seller) is None


def test_purchases_belong_to_their_buyer(buyer, course):
    mine = SaleFactory(course=course, buyer=buyer)
    SaleFactory(course=course)

    purchases = purchase_list_for_buyer(buyer=buyer, filters=SaleFilters(zone=UTC))

    assert list(purchases) == [mine]
    assert purchase_get_visible(pk=mine.pk, user=buyer) == mine
    assert purchase_get_visible(pk=mine.pk, user=UserFactory()) is None


def test_purchase_search_matches_course_title(buyer, seller):
    wanted = SaleFactory(
        course=CourseFactory(seller=seller, title="Watercolour basics"), buyer=buyer
    )
    SaleFactory(course=CourseFactory(seller=seller, title="Django"), buyer=buyer)

    filters = SaleFilters(zone=UTC, search="watercolour")

    assert list(purchase_list_for_buyer(buyer=buyer, filters=filters)) == [wanted]


def test_total_spent_is_per_currency_after_refunds(buyer, seller):
    SaleFactory(course=CourseFactory(seller=seller, currency="usd"), buyer=buyer, amount=4_900)
    SaleFactory(
        course=CourseFactory(seller=seller, currency="usd"),
        buyer=buyer,
        amount=2_000,
        refunded_amount=2_000,
        status=Order.Status.REFUNDED,
    )
    SaleFactory(course=CourseFactory(seller=seller, currency="jpy"), buyer=buyer, amount=3_000)

    totals = purchase_totals_for_buyer(buyer=buyer)

    assert [(total.currency, total.course_count, total.spent) for total in totals] == [
        ("jpy", 1, 3_000),
        ("usd", 2, 4_900),
    ]


def test_platform_figures_cover_every_seller_per_currency_and_charge_type():
    first = SellerFactory(email="first@example.com")
    second = SellerFactory(email="second@example.com")
    SaleFactory(
        course=CourseFactory(seller=first, currency="usd"),
        amount=10_000,
        fee_amount=1_000,
        charge_type=Order.ChargeType.DIRECT,
        paid_at=NOW,
    )
    SaleFactory(
        course=CourseFactory(seller=first, currency="usd"),
        amount=10_000,
        fee_amount=500,
        charge_type=Order.ChargeType.DESTINATION,
        paid_at=NOW,
    )
    SaleFactory(
        course=CourseFactory(seller=second, currency="eur"),
        amount=3_000,
        fee_amount=300,
        charge_type=Order.ChargeType.DESTINATION,
        paid_at=NOW,
    )
    period = _day(UTC, NOW.date())

    kpis = platform_kpis(period=period)
    fees = platform_fees_by_charge_type(period=period)
    top = platform_top_sellers(period=period)

    assert [(kpi.currency, kpi.gross, kpi.fees) for kpi in kpis] == [
        ("eur", 3_000, 300),
        ("usd", 20_000, 1_500),
    ]
    assert [(row.charge_type, row.currency, row.fees) for row in fees] == [
        ("destination", "eur", 300),
        ("destination", "usd", 500),
        ("direct", "usd", 1_000),
    ]
    assert [(row.email, row.currency, row.count) for row in top] == [
        ("first@example.com", "usd", 2),
        ("second@example.com", "eur", 1),
    ]


def test_pending_sellers_are_those_who_cannot_take_charges():
    ready = StripeAccountFactory().seller
    no_account = SellerFactory(email="none@example.com")
    onboarding = StripeAccountFactory(charges_enabled=False, seller__email="half@example.com")
    disconnected = StripeAccountFactory(
        disconnected_at=NOW, seller__email="gone@example.com"
    ).seller
    UserFactory()  # a buyer is not a seller

    sellers, count = platform_pending_sellers()

    assert count == 3
    assert set(sellers) == {no_account, onboarding.seller, disconnected}
    assert ready not in sellers


def test_platform_refunds_by_refund_date_and_open_disputes(course):
    refunded = SaleFactory(course=course, paid_at=NOW - dt.timedelta(days=40), refunded_amount=4900)
    RefundFactory(order=refunded, amount=4_900, created_at=NOW)
    RefundFactory(order=refunded, amount=100, created_at=NOW - dt.timedelta(days=35))
    SaleFactory(course=course, status=Order.Status.DISPUTED, amount=4_900)

    [refunds] = platform_refund_totals(period=_day(UTC, NOW.date()))
    [disputes] = platform_dispute_totals()

    assert (refunds.currency, refunds.count, refunds.amount) == ("usd", 1, 4_900)
    assert (disputes.count, disputes.amount) == (1, 4_900)


def test_platform_refunds_leave_out_refunds_stripe_never_made(course):
    sale = SaleFactory(course=course, paid_at=NOW - dt.timedelta(days=2), refunded_amount=1_000)
    RefundFactory(order=sale, amount=1_000, created_at=NOW)
    RefundFactory(order=sale, amount=3_900, created_at=NOW, status="failed", stripe_refund_id=None)
    RefundFactory(order=sale, amount=500, created_at=NOW, status="canceled")

    [refunds] = platform_refund_totals(period=_day(UTC, NOW.date()))

    assert (refunds.count, refunds.amount) == (1, 1_000)


def test_top_sellers_show_what_the_platform_kept_not_the_fee_charged():
    seller = SellerFactory(email="kept@example.com")
    course = CourseFactory(seller=seller, currency="usd")
    # Direct: the seller bears Stripe's fee; a refund gave back 100 of the 490 fee.
    SaleFactory(
        course=course,
        amount=4_900,
        fee_amount=490,
        stripe_fee_amount=172,
        fee_refunded_amount=100,
        refunded_amount=1_000,
        status=Order.Status.PARTIALLY_REFUNDED,
        charge_type=Order.ChargeType.DIRECT,
        paid_at=NOW,
    )
    # Destination: the platform bears Stripe's 172 fee out of its 490.
    SaleFactory(
        course=course,
        amount=4_900,
        fee_amount=490,
        stripe_fee_amount=172,
        charge_type=Order.ChargeType.DESTINATION,
        paid_at=NOW,
    )

    for period in (_day(UTC, NOW.date()), period_resolve(key="all", zone=UTC, now=NOW)):
        [row] = platform_top_sellers(period=period)
        assert (row.count, row.gross, row.platform_kept) == (2, 9_800, 390 + 318)


def test_a_lost_dispute_is_not_counted_as_stripe_fees_or_margin():
    course = CourseFactory(seller=SellerFactory(email="disputed@example.com"), currency="usd")
    sale = SaleFactory(
        course=course,
        amount=4_900,
        fee_amount=490,
        stripe_fee_amount=172,
        dispute_amount=4_900,
        dispute_fee_amount=1_500,
        status=Order.Status.DISPUTE_LOST,
        charge_type=Order.ChargeType.DESTINATION,
        paid_at=NOW,
    )
    # The platform bore it: its net is down by the amount and Stripe's dispute fee.
    assert sale.platform_net_amount == 318 - 6_400

    for period in (_day(UTC, NOW.date()), period_resolve(key="all", zone=UTC, now=NOW)):
        [fees] = platform_fees_by_charge_type(period=period)
        assert (fees.fees_kept, fees.platform_stripe_fees, fees.platform_net) == (490, 172, 318)
        [top] = platform_top_sellers(period=period)
        assert top.platform_kept == 318
