"""The course form: what a seller may type as a price, per currency, before anything is saved."""

from decimal import Decimal

import pytest

from catalog.forms import CourseForm
from catalog.money import MAXIMUM_CHARGE, MINIMUM_CHARGE
from tests.catalog.factories import CourseFactory


def _form(price: str, currency: str) -> CourseForm:
    return CourseForm(
        data={
            "title": "Async Python",
            "description": "Event loops explained.",
            "price": price,
            "currency": currency,
            "charge_type": "auto",
        }
    )


# Stripe's minimum charge per currency, as a seller types it: the lowest price, and one minor
# unit below it. https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUMS = [
    ("usd", "0.50", "0.49", 50),
    ("eur", "0.50", "0.49", 50),
    ("gbp", "0.30", "0.29", 30),
    ("cad", "0.50", "0.49", 50),
    ("aud", "0.50", "0.49", 50),
    ("jpy", "50", "49", 50),
]


def test_every_currency_offered_has_a_minimum():
    offered = {code for code, _ in CourseForm.base_fields["currency"].choices}
    assert offered == set(MINIMUM_CHARGE)
    assert offered == {currency for currency, *_ in MINIMUMS}


@pytest.mark.parametrize(("currency", "lowest", "below", "minor_units"), MINIMUMS)
def test_the_lowest_price_is_stripes_minimum_charge(currency, lowest, below, minor_units):
    at_minimum, under = _form(lowest, currency), _form(below, currency)

    assert at_minimum.is_valid(), at_minimum.errors
    assert at_minimum.course_fields()["price_amount"] == minor_units
    assert not under.is_valid()
    [message] = under.errors["price"]
    assert message.startswith(f"The lowest price Stripe can charge in {currency.upper()} is ")


def test_the_yen_minimum_is_fifty_yen_not_fifty_sen():
    form = _form("1", "jpy")

    assert not form.is_valid()
    assert form.errors["price"] == ["The lowest price Stripe can charge in JPY is ¥50."]


@pytest.mark.parametrize(
    ("currency", "highest", "above", "minor_units"),
    [
        ("usd", "999999.99", "1000000.00", 99_999_999),
        ("gbp", "999999.99", "1000000", 99_999_999),
        ("jpy", "99999999", "100000000", 99_999_999),
    ],
)
def test_the_highest_price_is_stripes_maximum_charge(currency, highest, above, minor_units):
    at_maximum, over = _form(highest, currency), _form(above, currency)

    assert at_maximum.is_valid(), at_maximum.errors
    assert at_maximum.course_fields()["price_amount"] == minor_units == MAXIMUM_CHARGE
    assert not over.is_valid()
    [message] = over.errors["price"]
    assert message.startswith("The highest price Stripe can charge is ")


@pytest.mark.parametrize("price", ["0", "-5.00", "-0.50"])
def test_zero_and_negative_prices_are_refused(price):
    form = _form(price, "usd")

    assert not form.is_valid()
    assert "price" in form.errors


@pytest.mark.parametrize(
    ("price", "currency", "message"),
    [
        ("10.5", "jpy", "JPY amounts have at most 0 decimal places."),
        ("1.005", "usd", "USD amounts have at most 2 decimal places."),
    ],
)
def test_more_decimals_than_the_currency_has_are_refused(price, currency, message):
    form = _form(price, currency)

    assert not form.is_valid()
    assert form.errors["price"] == [message]


def test_a_price_is_not_rounded_into_bounds():
    # 0.495 is not half-up'ed to 0.50: a price with too many decimals is refused as typed.
    form = _form("0.495", "usd")

    assert not form.is_valid()
    assert "price_amount" not in form.cleaned_data


@pytest.mark.parametrize(
    ("price", "currency", "message"),
    [
        ("1000000.00", "usd", "The highest price Stripe can charge is $999,999.99."),
        ("100000000", "jpy", "The highest price Stripe can charge is ¥99,999,999."),
        ("0.29", "gbp", "The lowest price Stripe can charge in GBP is £0.30."),
    ],
)
def test_a_price_out_of_bounds_says_the_bound_in_the_sellers_currency(price, currency, message):
    form = _form(price, currency)

    assert not form.is_valid()
    assert form.errors["price"] == [message]


ONE_LINE_ONLY = (
    "Use letters, numbers and punctuation only: no line breaks, tabs or control characters."
)


@pytest.mark.parametrize(
    "breaker",
    ["\t", "\n", "\r", "\x07", "\x1b", "\u2028", "\u2029"],
    ids=["tab", "newline", "carriage-return", "bell", "escape", "line-separator", "paragraph-sep"],
)
def test_a_title_is_one_line_of_text(breaker):
    # It becomes an email subject, where a line break (Unicode's own separators included) or a
    # control character is an error or a header injection.
    form = CourseForm(data={**_form("49.00", "usd").data, "title": f"Async{breaker}Python"})

    assert not form.is_valid()
    assert form.errors["title"] == [ONE_LINE_ONLY]


def test_a_title_may_use_any_letters_and_punctuation():
    form = CourseForm(data={**_form("49.00", "usd").data, "title": "Café — «Ünïcode» 101 ✓"})

    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_the_edit_form_opens_with_the_course_as_saved_and_saving_it_unchanged_changes_nothing(
    client,
):
    course = CourseFactory(
        title="Rust for Pythonistas",
        description="Ownership without tears.",
        outline="Borrowing\nLifetimes",
        content="Lesson 1: cargo new.",
        price_amount=5000,
        currency="jpy",
        charge_type="destination",
        is_published=False,
    )
    saved = {field: getattr(course, field) for field in FORM_FIELDS}
    client.force_login(course.seller)

    form = client.get(f"/courses/{course.slug}/edit/").context["form"]
    initial = {name: form[name].value() for name in form.fields}
    assert initial == {
        "title": "Rust for Pythonistas",
        "description": "Ownership without tears.",
        "outline": "Borrowing\nLifetimes",
        "content": "Lesson 1: cargo new.",
        "price": Decimal("5000"),
        "currency": "jpy",
        "charge_type": "destination",
        "is_published": False,
    }

    posted = {name: value for name, value in initial.items() if value is not False}
    assert client.post(f"/courses/{course.slug}/edit/", posted).status_code == 302
    course.refresh_from_db()
    assert {field: getattr(course, field) for field in FORM_FIELDS} == saved


FORM_FIELDS = (
    "title",
    "description",
    "outline",
    "content",
    "price_amount",
    "currency",
    "charge_type",
    "is_published",
)
