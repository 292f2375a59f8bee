import json
import time

import pytest
import stripe
from django.db import transaction

from stripe_sandbox.events import emit_event
from stripe_sandbox.models import WebhookDelivery
from stripe_sandbox.routers import SANDBOX_DATABASE
from stripe_sandbox.webhooks import (
    deliver_due,
    ensure_worker,
    resend,
    stop_worker,
    wait_for_deliveries,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def _connected_account(sdk):
    account = sdk.v1.accounts.create(params={"type": "express", "email": "pat@example.com"})
    return account


def _emit_platform_event(event_type="charge.succeeded"):
    with transaction.atomic(using=SANDBOX_DATABASE):
        return emit_event(event_type, {"id": "ch_1Test", "object": "charge", "amount": 1000})


def test_connected_account_event_is_signed_for_the_connect_endpoint(sdk, receiver):
    account = _connected_account(sdk)
    sdk.v1.accounts.update(account.id, params={"email": "new@example.com"})

    wait_for_deliveries()

    [request] = receiver.wait_for(1)
    assert request["path"] == "/connect"
    event = stripe.Webhook.construct_event(
        request["body"], request["headers"]["Stripe-Signature"], "whsec_sandbox_connect"
    )
    assert event.type == "account.updated"
    assert event.account == account.id
    assert event.api_version == stripe.api_version
    assert event.livemode is False
    assert event.data.object.email == "new@example.com"
    assert event.data.previous_attributes.email == "pat@example.com"
    assert event.request.id.startswith("req_")


def test_platform_event_is_signed_for_the_platform_endpoint(receiver):
    _emit_platform_event()

    wait_for_deliveries()

    [request] = receiver.wait_for(1)
    assert request["path"] == "/platform"
    event = stripe.Webhook.construct_event(
        request["body"], request["headers"]["Stripe-Signature"], "whsec_sandbox_platform"
    )
    assert "account" not in json.loads(request["body"])
    assert event.data.object.id == "ch_1Test"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            request["body"], request["headers"]["Stripe-Signature"], "whsec_sandbox_connect"
        )


def test_signing_secret_and_url_are_read_when_delivering(receiver, settings):
    _emit_platform_event()
    settings.STRIPE_WEBHOOK_SECRET = "whsec_changed"
    settings.STRIPE_SANDBOX_WEBHOOK_URL = f"{receiver.url}/moved"

    wait_for_deliveries()

    [request] = receiver.wait_for(1)
    assert request["path"] == "/moved"
    stripe.Webhook.construct_event(
        request["body"], request["headers"]["Stripe-Signature"], "whsec_changed"
    )


def test_failed_delivery_is_retried_after_a_backoff(receiver):
    receiver.statuses = [500, 200]
    event = _emit_platform_event()

    assert deliver_due() == 1
    delivery = WebhookDelivery.objects.using(SANDBOX_DATABASE).get(event=event)
    assert delivery.status == "pending"
    assert delivery.last_status_code == 500
    assert deliver_due() == 0  # not due again until the backoff has passed

    time.sleep(0.25)
    assert deliver_due() == 1

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 2
    first, second = receiver.wait_for(2)
    assert json.loads(first["body"])["id"] == json.loads(second["body"])["id"] == event.id


def test_unreachable_endpoint_is_retried_then_given_up(settings, sandbox_url):
    settings.STRIPE_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.STRIPE_SANDBOX_WEBHOOK_RETRY_DELAYS = [0, 0]
    event = _emit_platform_event()

    for _ in range(3):
        deliver_due()

    delivery = WebhookDelivery.objects.using(SANDBOX_DATABASE).get(event=event)
    assert delivery.status == "failed"
    assert delivery.attempts == 3
    assert "ConnectionError" in delivery.last_error
    event.refresh_from_db()
    assert event.data["pending_webhooks"] == 0


def test_resend_delivers_a_given_up_event_again(receiver, settings):
    settings.STRIPE_SANDBOX_WEBHOOK_RETRY_DELAYS = []
    receiver.statuses = [503, 200]
    event = _emit_platform_event()
    deliver_due()
    delivery = WebhookDelivery.objects.using(SANDBOX_DATABASE).get(event=event)
    assert delivery.status == "failed"

    resend(delivery)
    wait_for_deliveries()

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert len(receiver.wait_for(2)) == 2


def test_background_worker_delivers_without_being_asked(receiver, settings):
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = True

    _emit_platform_event()

    [request] = receiver.wait_for(1)
    assert json.loads(request["body"])["type"] == "charge.succeeded"


def test_pending_deliveries_resume_when_a_new_worker_starts(receiver, settings):
    # Nothing delivers while the "server" is down: the delivery waits in the database.
    event = _emit_platform_event()
    assert receiver.requests == []

    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = True
    stop_worker()
    ensure_worker()

    [request] = receiver.wait_for(1)
    assert json.loads(request["body"])["id"] == event.id


def test_events_are_listed_filtered_and_retrieved(sdk, receiver):
    account = _connected_account(sdk)
    sdk.v1.accounts.update(account.id, params={"metadata": {"a": "1"}})
    _emit_platform_event("charge.succeeded")
    _emit_platform_event("charge.refunded")

    platform = sdk.v1.events.list()
    refunds = sdk.v1.events.list(params={"type": "charge.refunded"})
    connected = sdk.v1.events.list(options={"stripe_account": account.id})

    assert [e.type for e in platform.data] == ["charge.refunded", "charge.succeeded"]
    assert [e.type for e in refunds.data] == ["charge.refunded"]
    assert [e.type for e in connected.data] == ["account.updated"]
    assert sdk.v1.events.retrieve(refunds.data[0].id).type == "charge.refunded"
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.events.retrieve(connected.data[0].id)


def test_event_is_not_sent_when_its_transaction_rolls_back(receiver):
    with pytest.raises(RuntimeError), transaction.atomic(using=SANDBOX_DATABASE):
        emit_event("charge.succeeded", {"id": "ch_1", "object": "charge"})
        raise RuntimeError("handler failed")

    wait_for_deliveries()

    assert receiver.requests == []
