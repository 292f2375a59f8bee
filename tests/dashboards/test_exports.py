"""The sales CSV: no cell a spreadsheet would run as a formula, in any column."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest

from checkout.models import Order
from dashboards.exports import CSV_HEADER, sale_csv_lines
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import SaleFactory

pytestmark = pytest.mark.django_db

# Every column that holds text; the rest are the order number, a timestamp and amounts.
TEXT_COLUMNS = [
    "course",
    "buyer_email",
    "status",
    "charge_type",
    "currency",
    "payment_intent_id",
    "charge_id",
    "transfer_id",
    "application_fee_id",
]


def _rows(orders) -> list[dict[str, str]]:
    text = "".join(sale_csv_lines(sales=orders, zone=ZoneInfo("UTC")))
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_column_is_listed_as_text_or_as_a_number():
    numbers = {
        "order_id",
        "paid_at",
        "amount",
        "stripe_fee",
        "platform_fee",
        "platform_fee_returned",
        "refunded",
        "dispute_withdrawn",
        "dispute_fee",
        "net",
    }
    # Our own words ("seller" or "platform"), derived from the charge type, never typed by anyone.
    ours = {"stripe_fee_paid_by"}
    assert set(CSV_HEADER) == set(TEXT_COLUMNS) | numbers | ours


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_is_neutralised_in_every_column(seller, prefix):
    values = {
        column: f'{prefix}HYPERLINK("http://evil.example",{column})' for column in TEXT_COLUMNS
    }
    # Our own short codes too, within their columns' lengths (currency is three characters).
    values.update(
        status=f"{prefix}cmd|calc", charge_type=f"{prefix}cmd|calc", currency=f"{prefix}A1"
    )
    sale = SaleFactory(
        course=CourseFactory(seller=seller, title=values["course"]),
        buyer=UserFactory(email=values["buyer_email"]),
        payment_intent_id=values["payment_intent_id"],
        charge_id=values["charge_id"],
        transfer_id=values["transfer_id"],
        application_fee_id=values["application_fee_id"],
    )
    # Our own codes too: nothing checks them on the way out, so the export does not trust them.
    Order.objects.filter(pk=sale.pk).update(
        status=values["status"], charge_type=values["charge_type"], currency=values["currency"]
    )

    [row] = _rows(Order.objects.filter(pk=sale.pk))

    assert {column: row[column] for column in TEXT_COLUMNS} == {
        column: f"'{value}" for column, value in values.items()
    }


def test_numbers_stay_numbers_and_plain_text_is_left_alone(seller):
    sale = SaleFactory(
        course=CourseFactory(seller=seller, title="Django 6 in depth", currency="usd"),
        buyer=UserFactory(email="ann@test.example"),
        amount=4_900,
        fee_amount=490,
        refunded_amount=4_900,
        status=Order.Status.REFUNDED,
    )

    [row] = _rows(Order.objects.filter(pk=sale.pk))

    assert (row["course"], row["buyer_email"], row["status"], row["currency"]) == (
        "Django 6 in depth",
        "ann@test.example",
        "refunded",
        "usd",
    )
    # A refunded sale's net is negative: a number to a spreadsheet, not a formula.
    assert (row["amount"], row["platform_fee"], row["refunded"], row["net"]) == (
        "49.00",
        "4.90",
        "49.00",
        "-4.90",
    )
    assert row["charge_id"] == sale.charge_id


@pytest.mark.parametrize("title", ["-2+3+cmd|' /C calc'!A0", "-1-1", "+1", "-0.5e3"])
def test_arithmetic_that_merely_looks_numeric_is_neutralised(seller, title):
    sale = SaleFactory(course=CourseFactory(seller=seller, title=title))

    [row] = _rows(Order.objects.filter(pk=sale.pk))

    assert row["course"] == f"'{title}"
