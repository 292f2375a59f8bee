"""Events in Stripe's shape, routed to the platform or the Connect webhook endpoint."""

from __future__ import annotations

import copy
from typing import Any

import stripe
from django.db import transaction

from . import store
from .api import current_request
from .models import Event, WebhookDelivery
from .routers import SANDBOX_DATABASE
from .webhooks import wake_worker


def emit_event(
    event_type: str,
    obj: dict[str, Any],
    *,
    account: str = "",
    previous_attributes: dict[str, Any] | None = None,
) -> Event:
    """Record an event and queue its webhook delivery (sent after the current transaction commits).

    `account` is the connected account the event happened on ("" for the platform). As at Stripe,
    an event with an `account` goes to the Connect endpoint (direct charges, `account.*` events),
    one without to the platform endpoint (destination and separate-transfer charges).
    `obj` is the object's API JSON; it is copied, so later changes do not alter the event.
    """
    api_request = current_request.get()
    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = copy.deepcopy(previous_attributes)
    body: dict[str, Any] = {"id": store.new_id("evt"), "object": "event"}
    if account:
        body["account"] = account
    body.update(
        {
            "api_version": stripe.api_version,
            "created": store.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {
                "id": api_request.request_id if api_request else None,
                "idempotency_key": api_request.idempotency_key if api_request else None,
            },
            "type": event_type,
        }
    )
    event = Event.objects.using(SANDBOX_DATABASE).create(
        id=body["id"], type=event_type, account=account, data=body
    )
    WebhookDelivery.objects.using(SANDBOX_DATABASE).create(
        event=event,
        endpoint=WebhookDelivery.Endpoint.CONNECT if account else WebhookDelivery.Endpoint.PLATFORM,
        next_attempt_at=event.created_at,
    )
    transaction.on_commit(wake_worker, using=SANDBOX_DATABASE)
    return event
