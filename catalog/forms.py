import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from catalog.models import Course
from catalog.money import (
    CURRENCY_CHOICES,
    MAXIMUM_CHARGE,
    MINIMUM_CHARGE,
    format_money,
    from_minor_units,
    to_minor_units,
)


def price_bounds_problem(*, amount: int, currency: str) -> str:
    """Why Stripe could not charge this amount ("" when it can): one rule for every price form."""
    minimum = MINIMUM_CHARGE[currency]
    if amount < minimum:
        return (
            f"The lowest price Stripe can charge in {currency.upper()} is "
            f"{format_money(minimum, currency)}."
        )
    if amount > MAXIMUM_CHARGE:
        return f"The highest price Stripe can charge is {format_money(MAXIMUM_CHARGE, currency)}."
    return ""


def refuse_control_characters(value: str) -> None:
    """A title is one line of text: it goes into email subjects, where a line break is an error."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise ValidationError(
            "Use letters, numbers and punctuation only: no line breaks, tabs or control characters."
        )


class CoursePriceForm(forms.Form):
    """A course's price and currency, validated into minor units (`price_amount`); on its own it
    backs the course form's live "You receive" preview."""

    price = forms.DecimalField(
        max_digits=12,
        decimal_places=3,
        help_text=(
            "For example 49.00. At least Stripe's minimum charge: "
            "0.50 in most currencies, £0.30, ¥50."
        ),
    )
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)

    def clean(self):
        cleaned = super().clean()
        price, currency = cleaned.get("price"), cleaned.get("currency")
        if price is not None and currency:
            try:
                cleaned["price_amount"] = to_minor_units(price, currency)
            except ValueError as error:
                self.add_error("price", str(error))
                return cleaned
            if problem := price_bounds_problem(amount=cleaned["price_amount"], currency=currency):
                self.add_error("price", problem)
        return cleaned


class CourseForm(CoursePriceForm):
    title = forms.CharField(max_length=200, validators=[refuse_control_characters])
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown in the catalog and on the course page.",
    )
    outline = forms.CharField(
        label="What you will learn",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional: one topic per line. Shown as a list on the course page.",
    )
    content = forms.CharField(
        label="Course content",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Lessons, links and notes. Shown only to buyers who paid, to you and to staff.",
    )
    charge_type = forms.ChoiceField(
        label="How the payment is made",
        choices=Course.ChargeType.choices,
        initial=Course.ChargeType.AUTOMATIC,
        help_text=(
            "Automatic suits almost every course: it picks what fits your Stripe account "
            "(direct charges for Standard accounts, destination charges for Express and Custom)."
        ),
    )
    is_published = forms.BooleanField(label="Published: visible in the catalog", required=False)

    field_order = ["title", "description", "outline", "content", "price", "currency", "charge_type"]

    @classmethod
    def initial_for(cls, course: Course) -> dict:
        return {
            "title": course.title,
            "description": course.description,
            "outline": course.outline,
            "content": course.content,
            "price": from_minor_units(course.price_amount, course.currency),
            "currency": course.currency,
            "charge_type": course.charge_type,
            "is_published": course.is_published,
        }

    def course_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "outline": data["outline"],
            "content": data["content"],
            "price_amount": data["price_amount"],
            "currency": data["currency"],
            "charge_type": data["charge_type"],
            "is_published": data["is_published"],
        }


class CourseSearchForm(forms.Form):
    q = forms.CharField(label="Search courses", required=False, max_length=100)
