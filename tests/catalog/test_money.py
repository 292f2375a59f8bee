from decimal import Decimal

import pytest
from django.template import Context, Template

from catalog.money import (
    currency_decimals,
    format_money,
    from_minor_units,
    percent_of,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (4900, "usd", "$49.00"),
        (123456, "eur", "€1,234.56"),
        (6000, "jpy", "¥6,000"),
        (1500, "kwd", "1.500 KWD"),
        (-250, "gbp", "-£2.50"),
    ],
)
def test_money_filter_knows_each_currencys_decimals(amount, currency, shown):
    rendered = Template("{{ amount|money:currency }}").render(
        Context({"amount": amount, "currency": currency})
    )
    assert rendered == shown


def test_typed_prices_become_minor_units_without_floats():
    assert to_minor_units(Decimal("19.99"), "usd") == 1999
    assert to_minor_units(Decimal("6000"), "jpy") == 6000
    with pytest.raises(ValueError, match="at most 0 decimal places"):
        to_minor_units(Decimal("60.5"), "jpy")
    with pytest.raises(ValueError, match="at most 2 decimal places"):
        to_minor_units(Decimal("1.005"), "usd")


@pytest.mark.parametrize("typed", ["abc", "1,5", ""])
def test_text_that_is_not_a_number_is_refused_with_a_message(typed):
    with pytest.raises(ValueError) as refused:
        to_minor_units(typed, "usd")

    assert str(refused.value) == "Not a number."


@pytest.mark.parametrize(
    ("amount", "percent", "fee"),
    [(4900, Decimal("10"), 490), (999, Decimal("12.5"), 125), (5, Decimal("10"), 1), (0, 50, 0)],
)
def test_percent_of_rounds_half_up_to_a_whole_minor_unit(amount, percent, fee):
    assert percent_of(amount, percent) == fee


def test_format_money_of_nothing_is_empty():
    assert format_money(None, "usd") == ""


@pytest.mark.parametrize(
    ("currency", "decimals"),
    [("usd", 2), ("USD", 2), ("jpy", 0), ("JPY", 0), ("kwd", 3), ("KWD", 3), ("xyz", 2)],
)
def test_each_currency_has_stripes_decimals_whatever_its_case(currency, decimals):
    assert currency_decimals(currency) == decimals


@pytest.mark.parametrize(
    ("amount", "currency", "major"),
    [
        (1999, "usd", Decimal("19.99")),
        (6000, "JPY", Decimal("6000")),
        (1500, "kwd", Decimal("1.5")),
    ],
)
def test_minor_units_read_back_as_the_amount_a_person_typed(amount, currency, major):
    assert from_minor_units(amount, currency) == major
    assert to_minor_units(major, currency) == amount


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (0, "usd", "$0.00"),
        (4900, "USD", "$49.00"),
        (6000, "JPY", "¥6,000"),
        (-1500, "kwd", "-1.500 KWD"),
        (123456789, "xyz", "1,234,567.89 XYZ"),
        (-1, "eur", "-€0.01"),
    ],
)
def test_format_money_shows_sign_symbol_or_code_and_grouped_digits(amount, currency, shown):
    assert format_money(amount, currency) == shown
