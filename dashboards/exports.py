"""CSV export of sales, produced row by row so a long history never sits in memory."""

import csv
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from catalog.money import from_minor_units
from checkout.models import Order
from dashboards.selectors.common import MEMBERSHIP_ROW_TITLE

CSV_HEADER = [
    "order_id",
    "paid_at",
    "course",
    "buyer_email",
    "status",
    "charge_type",
    "currency",
    "amount",
    "platform_fee",
    "refunded",
    "net",
    "payment_intent_id",
    "charge_id",
    "transfer_id",
    "application_fee_id",
]
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _money(amount: int, currency: str) -> str:
    return str(from_minor_units(amount, currency))


def sale_csv_lines(*, sales: QuerySet[Order], zone: ZoneInfo) -> Iterator[str]:
    """The header, then one line per sale: amounts in major units, times in the seller's zone."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    rows: Iterable = sales.values_list(
        "pk",
        "paid_at",
        "course__title",
        "buyer__email",
        "status",
        "charge_type",
        "currency",
        "amount",
        "fee_amount",
        "refunded_amount",
        "payment_intent_id",
        "charge_id",
        "transfer_id",
        "application_fee_id",
    ).iterator(chunk_size=2000)
    for (
        pk,
        paid_at,
        title,
        email,
        status,
        charge_type,
        currency,
        amount,
        fee,
        refunded,
        *stripe_ids,
    ) in rows:
        yield writer.writerow(
            [
                pk,
                paid_at.astimezone(zone).isoformat(timespec="seconds"),
                _safe(title or MEMBERSHIP_ROW_TITLE),
                _safe(email),
                status,
                charge_type,
                currency,
                _money(amount, currency),
                _money(fee, currency),
                _money(refunded, currency),
                _money(amount - fee - refunded, currency),
                *stripe_ids,
            ]
        )
