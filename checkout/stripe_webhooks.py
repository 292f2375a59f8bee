"""The door for Stripe's webhooks: signature check and event parsing, nothing else.

https://docs.stripe.com/webhooks#verify-events
"""

import json
import logging
from dataclasses import dataclass

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)

PLATFORM = "platform"
CONNECT = "connect"
# Stripe's default: a signature older than five minutes is refused, which defeats replays.
SIGNATURE_TOLERANCE_SECONDS = 300


class WebhookEventRejected(Exception):
    """Not an event Stripe signed for this endpoint just now: bad, missing or stale signature."""


@dataclass(frozen=True)
class ParsedEvent:
    id: str
    type: str
    account: str  # the connected account an event is about; "" for the platform's own
    created: int
    payload: dict


def endpoint_secret(*, endpoint: str) -> str:
    if endpoint == CONNECT:
        return settings.STRIPE_CONNECT_WEBHOOK_SECRET
    return settings.STRIPE_WEBHOOK_SECRET


def webhook_event_parse(*, payload: bytes, signature: str, endpoint: str) -> ParsedEvent:
    """Verify `Stripe-Signature` against the endpoint's secret, then read the event."""
    secret = endpoint_secret(endpoint=endpoint)
    if not secret or not signature:
        raise WebhookEventRejected("Missing signature or endpoint secret.")
    # Only the signature is checked by the SDK: its construct_event also builds a Stripe object,
    # and fails with an AttributeError (a 500, not a 400) on signed JSON that is not an object.
    # The verified bytes are the source of truth; plain dicts keep Stripe objects out of services.
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
        data = json.loads(payload)
    except stripe.SignatureVerificationError as error:
        raise WebhookEventRejected(str(error)) from error
    except ValueError as error:
        raise WebhookEventRejected("The payload is not JSON.") from error
    if not isinstance(data, dict) or not data.get("id") or not data.get("type"):
        raise WebhookEventRejected("Not a Stripe event.")
    return ParsedEvent(
        id=data["id"],
        type=data["type"],
        account=data.get("account") or "",
        created=int(data.get("created") or 0),
        payload=data,
    )
