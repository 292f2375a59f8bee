from decimal import Decimal

from django import forms

from catalog.money import currency_decimals, format_money, to_minor_units


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
