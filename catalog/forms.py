from django import forms

from catalog.models import Course
from catalog.money import (
    CURRENCY_CHOICES,
    MAXIMUM_CHARGE,
    MINIMUM_CHARGE,
    format_money,
    from_minor_units,
    to_minor_units,
)


class CourseForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    content = forms.CharField(
        label="Course content",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Shown only to buyers who paid, to you and to staff.",
    )
    price = forms.DecimalField(
        max_digits=12,
        decimal_places=3,
        help_text=(
            "In the currency below, e.g. 49.00. At least Stripe's minimum charge: "
            "0.50 in most currencies, £0.30, ¥50."
        ),
    )
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    charge_type = forms.ChoiceField(
        label="How the payment is made",
        choices=Course.ChargeType.choices,
        initial=Course.ChargeType.AUTOMATIC,
    )
    is_published = forms.BooleanField(label="Published (visible in the catalog)", required=False)

    @classmethod
    def initial_for(cls, course: Course) -> dict:
        return {
            "title": course.title,
            "description": course.description,
            "content": course.content,
            "price": from_minor_units(course.price_amount, course.currency),
            "currency": course.currency,
            "charge_type": course.charge_type,
            "is_published": course.is_published,
        }

    def clean(self):
        cleaned = super().clean()
        price, currency = cleaned.get("price"), cleaned.get("currency")
        if price is not None and currency:
            try:
                cleaned["price_amount"] = to_minor_units(price, currency)
            except ValueError as error:
                self.add_error("price", str(error))
                return cleaned
            minimum = MINIMUM_CHARGE[currency]
            if cleaned["price_amount"] < minimum:
                self.add_error(
                    "price",
                    f"The lowest price Stripe can charge in {currency.upper()} is "
                    f"{format_money(minimum, currency)}.",
                )
            elif cleaned["price_amount"] > MAXIMUM_CHARGE:
                self.add_error(
                    "price",
                    "The highest price Stripe can charge is "
                    f"{format_money(MAXIMUM_CHARGE, currency)}.",
                )
        return cleaned

    def course_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "content": data["content"],
            "price_amount": data["price_amount"],
            "currency": data["currency"],
            "charge_type": data["charge_type"],
            "is_published": data["is_published"],
        }


class CourseSearchForm(forms.Form):
    q = forms.CharField(label="Search courses", required=False, max_length=100)
