"""Data isolation in the figures, not only in the rows.

Two sellers sell to the same two buyers, every sale for a different amount, so an amount that
leaks from another seller or buyer into a total, a chart, a per-course row, the table, the CSV or
the poll's cursor changes the number the test compares exactly.
"""

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from checkout.models import Order
from tests.accounts.factories import SellerFactory, UserFactory
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import SaleFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _micros(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


@pytest.fixture
def world():
    now = timezone.now()
    alice, bob = SellerFactory(email="alice@test.example"), SellerFactory(email="bob@test.example")
    ann, ben = UserFactory(email="ann@test.example"), UserFactory(email="ben@test.example")
    alpha = CourseFactory(seller=alice, title="Alpha course", currency="usd")
    beta = CourseFactory(seller=bob, title="Beta course", currency="usd")

    def sale(course, buyer, amount, fee, refunded=0, ago=dt.timedelta(hours=1)):
        status = (
            Order.Status.PAID
            if not refunded
            else Order.Status.REFUNDED
            if refunded == amount
            else Order.Status.PARTIALLY_REFUNDED
        )
        return SaleFactory(
            course=course,
            buyer=buyer,
            amount=amount,
            fee_amount=fee,
            refunded_amount=refunded,
            status=status,
            paid_at=now - ago,
        )

    sales = {
        "alice-ann": sale(alpha, ann, 4_900, 490, refunded=1_000, ago=dt.timedelta(days=2)),
        "alice-ben": sale(alpha, ben, 2_500, 250, ago=dt.timedelta(days=1)),
        "alice-ann-old": sale(alpha, ann, 1_100, 110, ago=dt.timedelta(days=60)),
        # Bob's newest sale is the newest of all, so a cursor that leaks it moves too far.
        "bob-ann": sale(beta, ann, 7_700, 770, ago=dt.timedelta(hours=3)),
        "bob-ben": sale(beta, ben, 3_300, 330, refunded=3_300, ago=dt.timedelta(days=5)),
        "bob-ben-old": sale(beta, ben, 9_900, 990, ago=dt.timedelta(days=60)),
    }
    return SimpleNamespace(alice=alice, bob=bob, ann=ann, ben=ben, sales=sales)


# Per seller: 30-day figures, all-time figures (count, gross, fees, refunds) and their sales.
SELLER_FIGURES = {
    "alice": {
        "30d": (2, 7_400, 740, 1_000),
        "all": (3, 8_500, 850, 1_000),
        "sales": {"alice-ann", "alice-ben", "alice-ann-old"},
        "newest": "alice-ben",
        "course": "Alpha course",
    },
    "bob": {
        "30d": (2, 11_000, 1_100, 3_300),
        "all": (3, 20_900, 2_090, 3_300),
        "sales": {"bob-ann", "bob-ben", "bob-ben-old"},
        "newest": "bob-ann",
        "course": "Beta course",
    },
}
# Per buyer: (count, paid, refunded) and their purchases.
BUYER_FIGURES = {
    "ann": ((3, 13_700, 1_000), {"alice-ann", "alice-ann-old", "bob-ann"}),
    "ben": ((3, 15_700, 3_300), {"alice-ben", "bob-ben", "bob-ben-old"}),
}


def _pks(world, names) -> set[int]:
    return {world.sales[name].pk for name in names}


@pytest.mark.parametrize("who", SELLER_FIGURES)
@pytest.mark.parametrize("period", ["30d", "all"])
def test_seller_kpis_chart_and_course_totals_count_only_their_sales(client, world, who, period):
    expected = SELLER_FIGURES[who]
    count, gross, fees, refunds = expected[period]
    client.force_login(getattr(world, who))

    response = client.get(reverse("dashboards:sales") + f"?period={period}")
    context = response.context

    [kpis] = context["kpis"]
    assert (kpis.currency, kpis.count, kpis.gross, kpis.fees, kpis.refunds) == (
        "usd",
        count,
        gross,
        fees,
        refunds,
    )
    assert kpis.net == gross - fees - refunds
    [(chart, series)] = context["charts"]
    assert series.currency == "usd"
    assert series.total == gross
    assert sum(point.count for point in series.points) == count
    assert sum(point.refunds for point in series.points) == refunds
    [course] = context["course_totals"]
    assert (course.title, course.count, course.gross, course.fees, course.refunds) == (
        expected["course"],
        count,
        gross,
        fees,
        refunds,
    )
    # And the figure reaches the page as the seller reads it.
    html = response.content.decode()
    assert f"${gross / 100:,.2f}" in html
    assert f"${(gross - fees - refunds) / 100:,.2f}" in html


@pytest.mark.parametrize("who", SELLER_FIGURES)
def test_seller_table_csv_and_poll_hold_only_their_sales(client, world, who):
    expected = SELLER_FIGURES[who]
    own = _pks(world, expected["sales"])
    client.force_login(getattr(world, who))

    page = client.get(reverse("dashboards:sales"))
    fragment = client.get(reverse("dashboards:sales") + "?sort=amount", **HX)
    export = client.get(reverse("dashboards:sales-export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    poll = client.get(reverse("dashboards:sales-new") + "?since=0", **HX)

    assert {sale.pk for sale in page.context["page"].object_list} == own
    assert {sale.pk for sale in fragment.context["page"].object_list} == own
    assert {int(row["order_id"]) for row in rows} == own
    assert sum(int(row["amount"].replace(".", "")) for row in rows) == expected["all"][1]
    assert {sale.pk for sale in poll.context["new_sales"]} == own
    # The cursor is the seller's own newest sale, never a newer one of another seller.
    newest = world.sales[expected["newest"]].paid_at
    assert page.context["since"] == _micros(newest)
    assert poll.context["since"] == _micros(newest)
    assert f"since={_micros(newest)}" in poll.content.decode()


def test_poll_after_the_sellers_newest_sale_finds_nothing_though_another_seller_sold_later(
    client, world
):
    client.force_login(world.alice)
    since = _micros(world.sales["alice-ben"].paid_at)

    response = client.get(reverse("dashboards:sales-new") + f"?since={since}", **HX)

    assert response.status_code == 204


@pytest.mark.parametrize("who", BUYER_FIGURES)
def test_buyer_total_spent_and_table_count_only_their_purchases(client, world, who):
    (count, paid, refunded), names = BUYER_FIGURES[who]
    client.force_login(getattr(world, who))

    page = client.get(reverse("dashboards:purchases"))
    fragment = client.get(reverse("dashboards:purchases") + "?status=", follow=True, **HX)

    [total] = page.context["totals"]
    assert (total.currency, total.course_count, total.paid, total.refunded) == (
        "usd",
        count,
        paid,
        refunded,
    )
    spent = page.content.decode().split('id="spent-heading"')[1].split("</section>")[0]
    assert f"${(paid - refunded) / 100:,.2f}" in spent
    assert f"on {count} courses" in spent
    assert {order.pk for order in page.context["page"].object_list} == _pks(world, names)
    assert {order.pk for order in fragment.context["page"].object_list} == _pks(world, names)


@pytest.mark.parametrize("period", ["30d", "all"])
def test_platform_top_sellers_give_each_seller_their_own_figures(client, world, staff_user, period):
    client.force_login(staff_user)

    response = client.get(reverse("dashboards:platform") + f"?period={period}")

    by_seller = {
        row.email: (row.count, row.gross, row.platform_kept)
        for row in response.context["top_sellers"]
    }
    assert by_seller == {
        f"{who}@test.example": figures[period][:3] for who, figures in SELLER_FIGURES.items()
    }
