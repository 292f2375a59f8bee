"""CSV export of sales, produced row by row so a long history never sits in memory."""

import csv
import re
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from catalog.money import from_minor_units
from checkout.models import Order
from checkout.selectors import fee_returned_sql
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
    "stripe_fee",
    "stripe_fee_paid_by",
    "platform_fee",
    "platform_fee_returned",
    "refunded",
    "dispute_withdrawn",
    "dispute_fee",
    "net",
    "payment_intent_id",
    "charge_id",
    "transfer_id",
    "application_fee_id",
]
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A plain number (a refund can make the net negative) is a number to a spreadsheet, not a formula.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value: object) -> str:
    """The cell as text, quoted with a leading ' when a spreadsheet would run it as a formula.

    Applied to every cell, not only the ones a person typed: Stripe ids, statuses and currency
    codes come from outside too, and a column that is safe today may not be tomorrow.
    """
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def _money(amount: int, currency: str) -> str:
    return str(from_minor_units(amount, currency))


def sale_csv_lines(*, sales: QuerySet[Order], zone: ZoneInfo) -> Iterator[str]:
    """The header, then one line per sale: amounts in major units, times in the seller's zone."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    rows: Iterable = (
        sales.annotate(fee_returned=fee_returned_sql())
        .values_list(
            "pk",
            "paid_at",
            "course__title",
            "buyer__email",
            "status",
            "charge_type",
            "currency",
            "amount",
            "stripe_fee_amount",
            "fee_amount",
            "fee_returned",
            "refunded_amount",
            "dispute_amount",
            "dispute_fee_amount",
            "seller_net_amount",
            "payment_intent_id",
            "charge_id",
            "transfer_id",
            "application_fee_id",
        )
        .iterator(chunk_size=2000)
    )
    for (
        pk,
        paid_at,
        title,
        email,
        status,
        charge_type,
        currency,
        amount,
        stripe_fee,
        fee,
        fee_returned,
        refunded,
        dispute_withdrawn,
        dispute_fee,
        net,
        *stripe_ids,
    ) in rows:
        cells = [
            pk,
            paid_at.astimezone(zone).isoformat(timespec="seconds"),
            title or MEMBERSHIP_ROW_TITLE,
            email,
            status,
            charge_type,
            currency,
            _money(amount, currency),
            _money(stripe_fee, currency),
            "seller" if charge_type == Order.ChargeType.DIRECT else "platform",
            _money(fee, currency),
            _money(fee_returned, currency),
            _money(refunded, currency),
            _money(dispute_withdrawn, currency),
            _money(dispute_fee, currency),
            # Net = amount − stripe_fee (when the seller paid it) − (platform_fee −
            # platform_fee_returned) − refunded − the dispute's withdrawal and fee (when the
            # seller owns the charge, as for stripe_fee): what reached the seller's balance.
            _money(net, currency),
            *stripe_ids,
        ]
        yield writer.writerow([_safe(cell) for cell in cells])
