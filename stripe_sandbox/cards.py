"""Test cards the hosted Checkout page accepts, and what each one does.

Numbers follow https://docs.stripe.com/testing. Any other number that passes the Luhn check
succeeds as a plain Visa/Mastercard would; a number failing it is `incorrect_number`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from .errors import CardError


@dataclass(frozen=True)
class CardBehaviour:
    number: str
    label: str
    # (code, decline_code, message) when the first payment is declined.
    decline: tuple[str, str, str] | None = None
    # Declines every later, off-session charge (subscription renewals), as if the card failed
    # after it was saved. Stripe's 4000000000000341 declines already at the first charge; the
    # sandbox lets that first charge through so renewal failures can be tried end to end.
    fails_on_renewal: bool = False
    # Succeeds, then the cardholder disputes it at once (charge.dispute.created).
    disputed: bool = False
    # Succeeds; each refund of it succeeds, then fails (Stripe: "some time later").
    refunds_fail: bool = False


GENERIC_DECLINE = ("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT_FUNDS = (
    "card_declined",
    "insufficient_funds",
    "Your card has insufficient funds.",
)

TEST_CARDS = [
    CardBehaviour("4242424242424242", "Visa: succeeds"),
    CardBehaviour("5555555555554444", "Mastercard: succeeds"),
    CardBehaviour("4000000000000002", "Declined (card_declined, generic_decline)", GENERIC_DECLINE),
    CardBehaviour(
        "4000000000009995",
        "Declined (card_declined, insufficient_funds)",
        INSUFFICIENT_FUNDS,
    ),
    CardBehaviour(
        "4000000000000341",
        "Succeeds at checkout, declines every renewal",
        fails_on_renewal=True,
    ),
    CardBehaviour(
        "4000000000000259",
        "Succeeds, then is disputed as fraudulent",
        disputed=True,
    ),
    CardBehaviour(
        "4000000000005126",
        "Succeeds; its refunds succeed, then fail",
        refunds_fail=True,
    ),
]
_BY_NUMBER = {card.number: card for card in TEST_CARDS}


@dataclass(frozen=True)
class Card:
    """A card typed on the hosted page (only what a charge shows is kept: last4, brand, ...)."""

    number: str
    exp_month: int
    exp_year: int
    name: str

    @property
    def behaviour(self) -> CardBehaviour:
        return _BY_NUMBER.get(self.number) or CardBehaviour(self.number, "Succeeds")

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        if self.number.startswith("4"):
            return "visa"
        if self.number[:2] in {"51", "52", "53", "54", "55"} or self.number.startswith("2"):
            return "mastercard"
        if self.number[:2] in {"34", "37"}:
            return "amex"
        return "unknown"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]

    def payment_method_details(self) -> dict:
        return {
            "card": {
                "amount_authorized": None,
                "brand": self.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "US",
                "exp_month": self.exp_month,
                "exp_year": self.exp_year,
                "fingerprint": self.fingerprint,
                "funding": "credit",
                "last4": self.last4,
                "network": self.brand,
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        }

    def as_internal(self) -> dict:
        """What a saved payment method remembers (never shown by the API in full)."""
        return {
            "number": self.number,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "name": self.name,
        }

    @classmethod
    def from_internal(cls, data: dict) -> Card:
        return cls(
            number=data["number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            name=data.get("name", ""),
        )


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_from_form(
    *, number: str, expiry: str, cvc: str, name: str, today: date | None = None
) -> Card:
    """Validate what was typed like Stripe's card element; a `CardError` says what is wrong."""
    digits = "".join(ch for ch in number if not ch.isspace() and ch != "-")
    if not digits:
        raise CardError("Your card number is incomplete.", code="incomplete_number")
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise CardError("Your card number is invalid.", code="incorrect_number")
    month, year = _parse_expiry(expiry)
    today = today or date.today()
    if (year, month) < (today.year, today.month):
        raise CardError("Your card's expiration date is in the past.", code="invalid_expiry_year")
    cvc = cvc.strip()
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        raise CardError("Your card's security code is incomplete.", code="incomplete_cvc")
    return Card(number=digits, exp_month=month, exp_year=year, name=name.strip())


def _parse_expiry(expiry: str) -> tuple[int, int]:
    cleaned = expiry.replace(" ", "")
    month_text, _, year_text = cleaned.partition("/")
    if not (month_text.isdigit() and year_text.isdigit()):
        raise CardError("Your card's expiration date is incomplete.", code="incomplete_expiry")
    month = int(month_text)
    year = int(year_text)
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month")
    return month, year
