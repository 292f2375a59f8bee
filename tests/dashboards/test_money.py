"""The money a seller and the platform see: Stripe's fee where each bore it, platform fees less
what refunds returned, and the nets, the same from running totals and from a period's orders."""

import csv
import datetime as dt
import io
from datetime import UTC

import pytest
from django.urls import reverse

from checkout.models import Order
from dashboards.periods import period_resolve
from dashboards.selectors.platform import platform_fees_by_charge_type
from dashboards.selectors.seller import (
    sale_kpis_for_seller,
    sale_totals_by_course_for_seller,
)
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import SaleFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ALL_TIME = period_resolve(key="all", zone=UTC, now=NOW)
THAT_DAY = period_resolve(
    key="custom", zone=UTC, now=NOW, first_day=NOW.date(), last_day=NOW.date()
)


@pytest.fixture
def sales(seller):
    """One $49 sale per charge type at 10 %, Stripe's fee 172 cents; two refunded $10."""
    course = CourseFactory(seller=seller, price_amount=4_900, currency="usd", title="Django")
    common = {"course": course, "amount": 4_900, "fee_amount": 490, "paid_at": NOW}
    return {
        "direct": SaleFactory(**common, charge_type=Order.ChargeType.DIRECT, stripe_fee_amount=172),
        "destination": SaleFactory(
            **common,
            charge_type=Order.ChargeType.DESTINATION,
            stripe_fee_amount=172,
            refunded_amount=1_000,
            fee_refunded_amount=100,
            status=Order.Status.PARTIALLY_REFUNDED,
        ),
        "separate": SaleFactory(
            **common,
            charge_type=Order.ChargeType.SEPARATE,
            stripe_fee_amount=172,
            refunded_amount=1_000,
            transfer_reversed_amount=900,
            status=Order.Status.PARTIALLY_REFUNDED,
        ),
    }


def test_each_charge_type_has_its_own_nets(sales):
    figures = {
        kind: (order.seller_stripe_fee_amount, order.seller_net_amount, order.platform_net_amount)
        for kind, order in sales.items()
    }
    assert figures == {
        # The seller pays Stripe on a direct charge; the platform keeps its whole fee.
        "direct": (172, 4_238, 490),
        # The platform pays Stripe; $1 of its fee went back with the $10 refund.
        "destination": (0, 3_510, 218),
        # The seller's transfer ($44.10) less the $9 reversed; the platform bore the other $1.
        "separate": (0, 3_510, 218),
    }


@pytest.mark.parametrize("period", [ALL_TIME, THAT_DAY], ids=["running totals", "orders"])
def test_seller_kpis_explain_the_net(seller, sales, period):
    [usd] = sale_kpis_for_seller(seller=seller, period=period)

    assert (usd.gross, usd.seller_stripe_fees, usd.platform_fees, usd.refunds, usd.net) == (
        14_700,
        172,
        1_270,
        2_000,
        11_258,
    )
    [course] = sale_totals_by_course_for_seller(seller=seller, period=period)
    assert (course.seller_stripe_fees, course.platform_fees, course.net) == (172, 1_270, 11_258)


@pytest.mark.parametrize("period", [ALL_TIME, THAT_DAY], ids=["running totals", "orders"])
def test_platform_margin_by_charge_type(sales, period):
    rows = {row.charge_type: row for row in platform_fees_by_charge_type(period=period)}

    assert {
        kind: (row.fees_kept, row.platform_stripe_fees, row.platform_net)
        for kind, row in rows.items()
    } == {
        "direct": (490, 0, 490),
        "destination": (390, 172, 218),
        "separate": (390, 172, 218),
    }


def test_sales_page_shows_the_formula_once_and_each_sales_figures(client, seller, sales):
    client.force_login(seller)

    html = client.get(reverse("dashboards:sales") + "?period=all").content.decode()

    assert (
        html.count("gross − Stripe fees you paid (direct charges only) − platform fees − refunds")
        == 1
    )
    assert "$112.58" in html  # the net, in the KPI card and the course row
    assert "$42.38" in html  # the direct sale's net in the table
    assert "$1.72" in html


def test_sale_detail_says_who_paid_stripes_fee(client, seller, sales):
    client.force_login(seller)

    direct = client.get(reverse("dashboards:sale-detail", args=[sales["direct"].pk]))
    separate = client.get(reverse("dashboards:sale-detail", args=[sales["separate"].pk]))

    assert "$1.72 (paid by the seller: direct charge)" in direct.content.decode()
    page = separate.content.decode()
    assert "$1.72 (paid by the platform)" in page
    assert "of which $1.00 returned with refunds" in page
    assert "<strong>$35.10</strong>" in page


def test_csv_carries_stripes_fee_and_the_real_net(client, seller, sales):
    client.force_login(seller)

    response = client.get(reverse("dashboards:sales-export"))
    rows = {
        row["charge_type"]: row
        for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }

    assert {
        kind: (
            row["stripe_fee"],
            row["stripe_fee_paid_by"],
            row["platform_fee"],
            row["platform_fee_returned"],
            row["refunded"],
            row["net"],
        )
        for kind, row in rows.items()
    } == {
        "direct": ("1.72", "seller", "4.90", "0.00", "0.00", "42.38"),
        "destination": ("1.72", "platform", "4.90", "1.00", "10.00", "35.10"),
        "separate": ("1.72", "platform", "4.90", "1.00", "10.00", "35.10"),
    }


@pytest.fixture
def lost_disputes(seller):
    """A $49 sale of each charge type whose $49 dispute was lost, with Stripe's $15 fee."""
    course = CourseFactory(seller=seller, price_amount=4_900, currency="usd", title="Django")
    return {
        kind: SaleFactory(
            course=course,
            amount=4_900,
            fee_amount=490,
            stripe_fee_amount=172,
            paid_at=NOW,
            charge_type=kind,
            status=Order.Status.DISPUTE_LOST,
            dispute_id=f"dp_lost_{kind}",
            dispute_status="lost",
            dispute_amount=4_900,
            dispute_fee_amount=1_500,
        )
        for kind in (Order.ChargeType.DIRECT, Order.ChargeType.DESTINATION)
    }


def test_sale_detail_says_what_a_lost_dispute_took_and_from_whom(client, seller, lost_disputes):
    client.force_login(seller)

    direct = client.get(reverse("dashboards:sale-detail", args=[lost_disputes["direct"].pk]))
    destination = client.get(
        reverse("dashboards:sale-detail", args=[lost_disputes["destination"].pk])
    )

    page = direct.content.decode()
    assert (
        "Lost: the buyer&#x27;s bank kept the money. $49.00 withdrawn and Stripe's $15.00"
        " dispute fee, taken from the seller (direct charge)."
    ) in page
    assert "<code>dp_lost_direct</code>" in page
    # 49.00 − 1.72 Stripe fee − 4.90 platform fee − 49.00 withdrawn − 15.00 dispute fee
    assert "<dt>Net to seller</dt><dd><strong>-$21.62</strong></dd>" in page
    assert "dispute fee, taken from the platform." in destination.content.decode()


def test_csv_carries_a_disputes_withdrawal_and_fee(client, seller, lost_disputes):
    client.force_login(seller)

    response = client.get(reverse("dashboards:sales-export"))
    rows = {
        row["charge_type"]: (row["dispute_withdrawn"], row["dispute_fee"], row["net"])
        for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }

    assert rows == {
        "direct": ("49.00", "15.00", "-21.62"),
        "destination": ("49.00", "15.00", "44.10"),
    }
