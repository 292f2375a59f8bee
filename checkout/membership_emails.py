"""Emails about a membership itself (a failed renewal), each delivered at most once per kind.

Receipts and sale notices of each paid invoice are order emails (`checkout.emails`).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from checkout.emails import email_deliver_once
from checkout.models import Membership, MembershipEmail

PAYMENT_FAILED_PREFIX = "payment-failed-"


def membership_email_message(*, membership: Membership, kind: str) -> EmailMultiAlternatives:
    if not kind.startswith(PAYMENT_FAILED_PREFIX):
        raise ValueError(f"Unknown membership email kind {kind!r}")
    context = {
        "membership": membership,
        "update_card_url": settings.SITE_URL
        + reverse("checkout:membership-update-card", kwargs={"pk": membership.pk}),
        "purchases_url": settings.SITE_URL + reverse("dashboards:purchases"),
        "grace_days": settings.MEMBERSHIP_GRACE_DAYS,
    }
    subject = f"Your payment for {membership.seller.display_name}'s membership failed"
    text = render_to_string("checkout/email/membership_payment_failed.txt", context)
    html = render_to_string("checkout/email/membership_payment_failed.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[membership.buyer.email])
    message.attach_alternative(html, "text/html")
    return message


def membership_email_deliver(*, membership_id: int, kind: str) -> bool:
    """Send one membership email unless it was sent already; True when this call sent it."""
    record, _ = MembershipEmail.objects.get_or_create(membership_id=membership_id, kind=kind)

    def message() -> EmailMultiAlternatives:
        membership = Membership.objects.select_related("buyer", "seller").get(pk=membership_id)
        return membership_email_message(membership=membership, kind=kind)

    return email_deliver_once(record=record, message=message)
