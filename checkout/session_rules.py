"""How long a Checkout Session lives, when an open one is reused, and where Stripe sends the buyer
back: the same rules for a course and a membership."""

from datetime import timedelta

from django.conf import settings

# Stripe accepts 30 minutes to 24 hours; short keeps abandoned orders from piling up.
CHECKOUT_SESSION_LIFETIME = timedelta(minutes=31)
# How long a Buy or Subscribe request may take to get its session from Stripe (the SDK's retries
# included); until then a second click is asked to wait instead of opening a second session.
CHECKOUT_PREPARING_TIMEOUT = timedelta(seconds=90)
# A session this close to expiry is not worth sending a buyer to: they would not finish in time.
CHECKOUT_REUSE_MARGIN = timedelta(minutes=5)
# Stripe fills the placeholder in, so the success page knows which session to fulfil.
SUCCESS_QUERY = "?session_id={CHECKOUT_SESSION_ID}"


def site_url(path: str) -> str:
    """The absolute address Stripe sends the buyer back to."""
    return f"{settings.SITE_URL}{path}"
