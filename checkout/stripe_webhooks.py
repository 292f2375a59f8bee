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
    """Verify `Stripe-Signature` against the endpoint's secret, then read the event.

    Anything that is not a well-formed event is rejected here (the view answers 400): a retry of
    the same bytes can never succeed, so Stripe should stop, and nothing is stored."""
    secret = endpoint_secret(endpoint=endpoint)
    if not secret or not signature:
        raise WebhookEventRejected("Missing signature or endpoint secret.")
    # Only the signature is checked by the SDK: its construct_event also builds a Stripe object,
    # and fails with an AttributeError (a 500, not a 400) on signed JSON that is not an object.
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise WebhookEventRejected(str(error)) from error
    except UnicodeDecodeError as error:
        raise WebhookEventRejected("The payload is not UTF-8.") from error
    # The verified bytes are the source of truth; plain dicts keep Stripe objects out of services.
    try:
        data = json.loads(text)
    except ValueError as error:
        raise WebhookEventRejected("The payload is not JSON.") from error
    return _event_from_json(data)


def _event_from_json(data) -> ParsedEvent:
    if not isinstance(data, dict):
        raise WebhookEventRejected("Not a Stripe event: the payload is not a JSON object.")
    event_id, event_type = data.get("id"), data.get("type")
    account = data.get("account") or ""
    created = data.get("created") or 0
    body = data.get("data")
    data_object = body.get("object") if isinstance(body, dict) else None
    problems = [
        name
        for name, fine in [
            ("id", isinstance(event_id, str) and event_id),
            ("type", isinstance(event_type, str) and event_type),
            ("account", isinstance(account, str)),
            ("created", isinstance(created, int) and not isinstance(created, bool)),
            ("data.object", isinstance(data_object, dict)),
        ]
        if not fine
    ]
    if problems:
        raise WebhookEventRejected(f"Not a Stripe event: bad {', '.join(problems)}.")
    _drop_personal_details(data)
    return ParsedEvent(
        id=event_id,
        type=event_type,
        account=account,
        created=created,
        payload=data,
    )


# An account's `individual` (and a person's own fields) carry the full date of birth of a Custom
# seller; the marketplace reads the account from Stripe when it needs it, so the event stored in
# its database keeps none of it.
_PERSONAL_KEYS = ("individual", "dob", "address", "phone", "first_name", "last_name")


def _drop_personal_details(data: dict) -> None:
    event_data = data.get("data")
    if not isinstance(event_data, dict):
        return
    for key in ("object", "previous_attributes"):
        part = event_data.get(key)
        if not isinstance(part, dict):
            continue
        part.pop("individual", None)
        if (event_data.get("object") or {}).get("object") == "person":
            for personal in _PERSONAL_KEYS:
                part.pop(personal, None)
