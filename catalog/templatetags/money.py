from django import template

from catalog.money import format_money

register = template.Library()


@register.filter(name="money")
def money(amount: int | None, currency: str) -> str:
    """Show minor units in their currency: `{{ course.price_amount|money:course.currency }}`."""
    return format_money(amount, currency)
