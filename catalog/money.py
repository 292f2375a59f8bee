"""Money is an integer count of minor units plus a lowercase ISO currency code, as in Stripe.

Stripe's list of currencies without a minor unit, and with three decimals:
https://docs.stripe.com/currencies#zero-decimal
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
THREE_DECIMAL_CURRENCIES = frozenset("bhd jod kwd omr tnd".split())

CURRENCY_CHOICES = [
    ("usd", "USD — US dollar"),
    ("eur", "EUR — euro"),
    ("gbp", "GBP — pound sterling"),
    ("cad", "CAD — Canadian dollar"),
    ("aud", "AUD — Australian dollar"),
    ("jpy", "JPY — Japanese yen"),
]
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "jpy": "¥"}
# The smallest charge Stripe accepts per currency, and the largest (eight digits in any currency):
# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "jpy": 50}
MAXIMUM_CHARGE = 99_999_999


def currency_decimals(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Convert a major-unit amount typed by a person into minor units, refusing extra precision."""
    decimals = currency_decimals(currency)
    try:
        scaled = Decimal(amount).scaleb(decimals)
    except InvalidOperation as error:
        raise ValueError("Not a number.") from error
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency.upper()} amounts have at most {decimals} decimal places.")
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-currency_decimals(currency))


def percent_of(amount: int, percent: Decimal) -> int:
    """`percent` % of an amount in minor units, rounded half up to a whole minor unit."""
    return int(
        (Decimal(amount) * Decimal(percent) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )


def format_money(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    code = currency.lower()
    decimals = currency_decimals(code)
    value = from_minor_units(amount, code)
    sign = "-" if value < 0 else ""
    number = f"{abs(value):,.{decimals}f}"
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code.upper()}"
