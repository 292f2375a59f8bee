"""Money in the sandbox: amounts, Stripe's processing fee, and balance transactions.

Amounts are integers in the currency's minor unit (cents; whole yen for JPY), as in Stripe's API.
Every movement of money is a `balance_transaction` on the account whose balance it changes, so
`GET /v1/balance` is the sum of an account's balance transactions.

The sandbox's Stripe fee (documented in the developer guide):
- two-decimal currencies: 2.9% of the amount, rounded half up, plus 30 minor units;
- zero-decimal currencies (JPY, KRW, ...): 3.6% of the amount, rounded half up, no fixed part.
It is paid by whoever owns the charge: the connected account for direct charges, the platform for
destination and separate charges. Money coming into a connected account is pending for the
account's `settings.payouts.schedule.delay_days`, then available (`resources/payouts.py` settles
it and pays it out); the platform's own funds are available at once, so transfers never wait.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import store
from .models import SandboxObject

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "inr": "₹"}

FEE_PERCENT = Decimal("2.9")
FEE_FIXED = 30
ZERO_DECIMAL_FEE_PERCENT = Decimal("3.6")

# What each balance transaction type counts as in Stripe's reports.
REPORTING_CATEGORIES = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "transfer": "transfer",
    "transfer_refund": "transfer_reversal",
    "application_fee": "platform_earning",
    "application_fee_refund": "platform_earning_refund",
    "adjustment": "dispute",
}


def decimals(currency: str) -> int:
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def format_amount(amount: int, currency: str) -> str:
    """`format_amount(4900, "usd")` -> "$49.00"; `format_amount(4900, "jpy")` -> "¥4,900"."""
    places = decimals(currency)
    value = Decimal(amount).scaleb(-places)
    sign = "-" if value < 0 else ""
    number = f"{abs(value):,.{places}f}"
    symbol = SYMBOLS.get(currency.lower())
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency.upper()}"


def percent_of(amount: int, percent: Decimal | float | str) -> int:
    """`percent` % of `amount`, rounded half up to a whole minor unit."""
    value = Decimal(amount) * Decimal(str(percent)) / 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def proportional(total: int, part: int, whole: int) -> int:
    """`total` scaled by part/whole, rounded half up (a refund's share of a fee or transfer)."""
    if whole <= 0:
        return 0
    value = Decimal(total) * Decimal(part) / Decimal(whole)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def stripe_fee(amount: int, currency: str) -> int:
    if decimals(currency) == 0:
        return percent_of(amount, ZERO_DECIMAL_FEE_PERCENT)
    return percent_of(amount, FEE_PERCENT) + FEE_FIXED


def fee_detail(amount: int, currency: str, kind: str, application: str | None = None) -> dict:
    description = {
        "stripe_fee": "Stripe processing fees",
        "application_fee": "Application fee",
    }[kind]
    return {
        "amount": amount,
        "application": application,
        "currency": currency,
        "description": description,
        "type": kind,
    }


def balance_transaction_create(
    *,
    account: str,
    amount: int,
    currency: str,
    kind: str,
    source: str,
    fee_details: list[dict[str, Any]] | None = None,
    description: str | None = None,
) -> SandboxObject:
    """Record money in (+) or out (-) of `account`'s balance; `kind` is Stripe's `type`."""
    fee_details = fee_details or []
    fee = sum(detail["amount"] for detail in fee_details)
    created = store.now()
    # Only takings wait; refunds, fees and a failed payout's money move at once.
    waits = kind in PENDING_KINDS and amount > 0
    available_on = created + DAY * delay_days(account) if waits else created
    return store.create_object(
        "balance_transaction",
        {
            "amount": amount,
            "available_on": available_on,
            "created": created,
            "currency": currency,
            "description": description,
            "exchange_rate": None,
            "fee": fee,
            "fee_details": fee_details,
            "net": amount - fee,
            "reporting_category": REPORTING_CATEGORIES.get(kind, kind),
            "source": source,
            "status": "available" if available_on <= created else "pending",
            "type": kind,
            "balance_type": "payments",
        },
        account=account,
    )


DAY = 86_400
PENDING_KINDS = frozenset({"charge", "payment"})


def delay_days(account: str) -> int:
    """How long a connected account's incoming funds stay pending; none on the platform."""
    if not account:
        return 0
    found = store.objects().filter(object_type="account", id=account).first()
    settings = (found.data.get("settings") or {}) if found else {}
    schedule = (settings.get("payouts") or {}).get("schedule") or {}
    return int(schedule.get("delay_days") or 0)


def balance_for(account: str) -> dict[str, Any]:
    """Stripe's balance object for an account, summed from its balance transactions."""
    totals: dict[str, dict[str, int]] = {"available": {}, "pending": {}}
    rows = store.objects().filter(object_type="balance_transaction", account=account)
    for row in rows:
        currency = row.data["currency"]
        bucket = totals["pending" if row.data["status"] == "pending" else "available"]
        bucket[currency] = bucket.get(currency, 0) + row.data["net"]
    currencies = sorted(totals["available"].keys() | totals["pending"].keys()) or ["usd"]
    return {
        "object": "balance",
        **{
            kind: [
                {
                    "amount": totals[kind].get(c, 0),
                    "currency": c,
                    "source_types": {"card": totals[kind].get(c, 0)},
                }
                for c in currencies
            ]
            for kind in ("available", "pending")
        },
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": False,
    }


def available_amount(account: str, currency: str) -> int:
    for entry in balance_for(account)["available"]:
        if entry["currency"] == currency:
            return entry["amount"]
    return 0


PLATFORM_APPLICATION = "ca_sandbox_platform"


def charge_data(
    *,
    amount: int,
    currency: str,
    status: str = "succeeded",
    balance_transaction: str | None = None,
    customer: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    payment_intent: str | None = None,
    payment_method: str | None = None,
    payment_method_details: dict | None = None,
    billing_details: dict | None = None,
    receipt_email: str | None = None,
    application: str | None = None,
    application_fee_amount: int | None = None,
    on_behalf_of: str | None = None,
    transfer_data: dict | None = None,
    transfer_group: str | None = None,
    source_transfer: str | None = None,
) -> dict[str, Any]:
    """A charge's JSON (`fixtures3.json` `resources["charge"]`): card charges and the `py_`
    payments a transfer creates on the destination account have the same shape."""
    paid = status == "succeeded"
    return {
        "amount": amount,
        "amount_captured": amount if paid else 0,
        "amount_refunded": 0,
        "application": application,
        "application_fee": None,
        "application_fee_amount": application_fee_amount,
        "balance_transaction": balance_transaction,
        "billing_details": billing_details
        or {
            "address": None,
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "SANDBOX* COURSES",
        "captured": paid,
        "currency": currency,
        "customer": customer,
        "description": description,
        "destination": (transfer_data or {}).get("destination"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "metadata": metadata or {},
        "on_behalf_of": on_behalf_of,
        "outcome": None,
        "paid": paid,
        "payment_intent": payment_intent,
        "payment_method": payment_method,
        "payment_method_details": payment_method_details,
        "receipt_email": receipt_email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": ""},
        "review": None,
        "shipping": None,
        "source_transfer": source_transfer,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer": None,
        "transfer_data": transfer_data,
        "transfer_group": transfer_group,
    }
