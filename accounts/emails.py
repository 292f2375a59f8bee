"""Emails about a seller's Stripe account."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import StripeAccount
from accounts.requirements import requirements_in_words


def requirements_email_send(*, stripe_account_pk: int, requirements: list[str]) -> bool:
    """Email the seller what Stripe now needs, in words, with a link to the in-app form."""
    stripe_account = (
        StripeAccount.objects.select_related("seller").filter(pk=stripe_account_pk).first()
    )
    if stripe_account is None or not stripe_account.is_connected:
        return False
    context = {
        "seller": stripe_account.seller,
        "needed": requirements_in_words(requirements),
        "charges_enabled": stripe_account.charges_enabled,
        "form_url": settings.SITE_URL + reverse("accounts:custom-onboarding"),
    }
    message = EmailMultiAlternatives(
        subject="Stripe needs more information to keep paying you",
        body=render_to_string("accounts/email/requirements_due.txt", context),
        to=[stripe_account.seller.email],
    )
    message.attach_alternative(
        render_to_string("accounts/email/requirements_due.html", context), "text/html"
    )
    message.send()
    return True
