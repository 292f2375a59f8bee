"""The emails sent about an order, each delivered at most once per order and kind."""

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from checkout.claims import row_claim
from checkout.models import MembershipEmail, Order, OrderEmail

# A claim older than this was left by a worker that died mid-send; another may take over.
CLAIM_TIMEOUT = timedelta(minutes=5)

RECEIPT = "receipt"
SALE = "sale"
DISPUTE = "dispute"
# One notice per outcome of a dispute: "dispute-won", "dispute-lost", "dispute-warning_closed".
DISPUTE_CLOSED_PREFIX = "dispute-"
REFUND_PREFIX = "refund-"
# One notice to the seller per failed refund (by Stripe's refund id).
REFUND_FAILED_PREFIX = "refund-failed-"


def dispute_closed_kind(status: str) -> str:
    return f"{DISPUTE_CLOSED_PREFIX}{status}"


CONTROL = ("Cc", "Zl", "Zp")  # control characters, line and paragraph separators


def _one_line(text: str) -> str:
    """Any run of whitespace, line breaks and control characters becomes one space: a subject
    with a line break is refused by the mail library, and the email would never go out."""
    return " ".join("".join(" " if unicodedata.category(c) in CONTROL else c for c in text).split())


def _template_and_recipient(*, order: Order, kind: str) -> tuple[str, str, str]:
    """(template name, recipient, subject) for one kind of email."""
    title = _one_line(order.item_title)
    if kind == RECEIPT:
        return "receipt", order.buyer.email, f"Your receipt for “{title}”"
    if kind == SALE:
        return "sale", order.seller.email, f"You sold “{title}”"
    if kind == DISPUTE:
        return "dispute", order.seller.email, f"A payment for “{title}” is disputed"
    if kind.startswith(DISPUTE_CLOSED_PREFIX):
        outcome = "lost" if kind.endswith("lost") else "closed in your favour"
        return "dispute_closed", order.seller.email, f"A dispute on “{title}” was {outcome}"
    if kind.startswith(REFUND_FAILED_PREFIX):
        return "refund_failed", order.seller.email, f"A refund for “{title}” failed"
    if kind.startswith(REFUND_PREFIX):
        return "refund", order.buyer.email, f"Refund for “{title}”"
    raise ValueError(f"Unknown order email kind {kind!r}")


def order_email_message(*, order: Order, kind: str) -> EmailMultiAlternatives:
    template, recipient, subject = _template_and_recipient(order=order, kind=kind)
    if order.course is None:  # a membership invoice: its links lead to the purchases page
        content_url = course_url = settings.SITE_URL + reverse("dashboards:purchases")
    else:
        content_url = settings.SITE_URL + reverse(
            "catalog:course-content", kwargs={"slug": order.course.slug}
        )
        course_url = settings.SITE_URL + order.course.get_absolute_url()
    context = {
        "order": order,
        "course": order.course,
        "site_url": settings.SITE_URL,
        "content_url": content_url,
        "course_url": course_url,
    }
    text = render_to_string(f"checkout/email/{template}.txt", context)
    html = render_to_string(f"checkout/email/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[recipient])
    message.attach_alternative(html, "text/html")
    return message


def order_email_deliver(*, order_id: int, kind: str) -> bool:
    """Send one email about an order unless it was sent already; True when this call sent it."""
    record, _ = OrderEmail.objects.get_or_create(order_id=order_id, kind=kind)

    def message() -> EmailMultiAlternatives:
        order = Order.objects.select_related("course", "buyer", "seller").get(pk=order_id)
        return order_email_message(order=order, kind=kind)

    return email_deliver_once(record=record, message=message)


def email_deliver_once(*, record: OrderEmail | MembershipEmail, message) -> bool:
    """Send the email `message()` builds unless `record` says it was sent; True when this call
    sent it. The row is claimed before sending and marked sent after, so a retried or duplicated
    task does not send twice; a send that fails releases the claim and re-raises for a retry."""
    rows = type(record).objects.filter(pk=record.pk)
    claimed = row_claim(
        rows=rows.filter(sent_at__isnull=True),
        field="claimed_at",
        timeout=CLAIM_TIMEOUT,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return False
    try:
        message().send()
    except Exception as error:
        rows.update(claimed_at=None, last_error=repr(error)[:2000])
        raise
    rows.update(sent_at=timezone.now(), claimed_at=None, last_error="")
    return True
