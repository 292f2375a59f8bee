from decimal import Decimal

from django import forms

from catalog.forms import price_bounds_problem
from catalog.money import (
    CURRENCY_CHOICES,
    currency_decimals,
    format_money,
    from_minor_units,
    to_minor_units,
)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=3,
    )

    def __init__(self, *args, currency: str, amount_left: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].help_text = (
            f"Up to {format_money(amount_left, currency)}, what is left to refund. "
            "A full refund ends the buyer's access."
        )
        step = Decimal(1).scaleb(-currency_decimals(currency))
        self.fields["amount"].widget.attrs.update({"step": str(step), "inputmode": "decimal"})

    def clean_amount(self) -> int:
        try:
            amount = to_minor_units(self.cleaned_data["amount"], self.currency)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        if amount <= 0:
            raise forms.ValidationError("The refund must be more than zero.")
        return amount


class MembershipOfferForm(forms.Form):
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    monthly_price = forms.DecimalField(
        label="Price per month",
        min_value=Decimal("0.50"),
        max_digits=12,
        decimal_places=3,
        help_text="In the currency above, e.g. 19.00.",
    )
    yearly_price = forms.DecimalField(
        label="Price per year (optional)",
        required=False,
        min_value=Decimal("0.50"),
        max_digits=12,
        decimal_places=3,
        help_text="Leave empty to offer monthly only.",
    )
    is_active = forms.BooleanField(
        label="Offered (new members can subscribe)", required=False, initial=True
    )

    @classmethod
    def initial_for(cls, offer) -> dict:
        return {
            "currency": offer.currency,
            "monthly_price": from_minor_units(offer.monthly_amount, offer.currency),
            "yearly_price": (
                from_minor_units(offer.yearly_amount, offer.currency)
                if offer.yearly_amount
                else None
            ),
            "is_active": offer.is_active,
        }

    def clean(self):
        cleaned = super().clean()
        currency = cleaned.get("currency")
        for field, target in (
            ("monthly_price", "monthly_amount"),
            ("yearly_price", "yearly_amount"),
        ):
            value = cleaned.get(field)
            cleaned[target] = None
            if value is None or not currency:
                continue
            try:
                cleaned[target] = to_minor_units(value, currency)
            except ValueError as error:
                self.add_error(field, str(error))
                continue
            if problem := price_bounds_problem(amount=cleaned[target], currency=currency):
                self.add_error(field, problem)
        return cleaned

    def offer_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "currency": data["currency"],
            "monthly_amount": data["monthly_amount"],
            "yearly_amount": data["yearly_amount"],
            "is_active": data["is_active"],
        }


class MembershipSubscribeForm(forms.Form):
    interval = forms.ChoiceField(
        choices=[("month", "Monthly"), ("year", "Yearly")], initial="month"
    )
