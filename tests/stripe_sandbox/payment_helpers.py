"""Helpers for the payments tests: connected accounts, sessions, and paying the hosted page
with plain HTTP (the page works without JavaScript, so a form POST is what a browser sends)."""

from __future__ import annotations

import json

import requests

SUCCESS_URL = "http://shop.example/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.example/cancel"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_NO_FUNDS = "4000000000009995"
CARD_FAILS_ON_RENEWAL = "4000000000000341"


def connected_account(sdk, email="seller@example.com"):
    return sdk.v1.accounts.create(params={"type": "express", "email": email})


def one_time_item(amount=4900, currency="usd", name="Django for Beginners", quantity=1):
    return {
        "quantity": quantity,
        "price_data": {
            "currency": currency,
            "unit_amount": amount,
            "product_data": {"name": name},
        },
    }


def create_session(sdk, *, account=None, items=None, options=None, **params):
    body = {
        "mode": "payment",
        "line_items": items or [one_time_item()],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        **params,
    }
    request_options = dict(options or {})
    if account:
        request_options["stripe_account"] = account
    return sdk.v1.checkout.sessions.create(params=body, options=request_options)


def pay(session_or_url, *, card=CARD_OK, email="buyer@example.com", expiry="12 / 34", **extra):
    """POST the hosted page's form; the response is not followed (303 to success_url)."""
    url = session_or_url if isinstance(session_or_url, str) else session_or_url.url
    form = {
        "email": email,
        "card_number": card,
        "card_expiry": expiry,
        "card_cvc": "123",
        "card_name": "Bo Buyer",
        **extra,
    }
    return requests.post(url, data=form, allow_redirects=False, timeout=10)


def events_by_type(receiver) -> dict[str, list[dict]]:
    """{event type: [{"path", "event"}]} of every webhook the receiver got."""
    found: dict[str, list[dict]] = {}
    for request in receiver.requests:
        event = json.loads(request["body"])
        found.setdefault(event["type"], []).append({"path": request["path"], "event": event})
    return found
