"""The webhook gateway on its own: what a verified event becomes, and why one is refused."""

import json
import time

import pytest

from checkout.stripe_webhooks import (
    CONNECT,
    PLATFORM,
    ParsedEvent,
    WebhookEventRejected,
    webhook_event_parse,
)
from tests.checkout.conftest import event_payload, sign


def test_a_signed_event_becomes_its_id_type_account_time_and_payload(settings):
    payload = event_payload(
        "account.updated", {"id": "acct_1X"}, event_id="evt_1", account="acct_1X"
    )
    signature = sign(payload, settings.STRIPE_CONNECT_WEBHOOK_SECRET)

    event = webhook_event_parse(payload=payload, signature=signature, endpoint=CONNECT)

    data = json.loads(payload)
    assert event == ParsedEvent(
        id="evt_1", type="account.updated", account="acct_1X", created=data["created"], payload=data
    )


def test_a_platform_event_has_no_account_and_a_missing_time_is_zero(settings):
    payload = json.dumps(
        {"id": "evt_2", "type": "charge.refunded", "account": None, "data": {"object": {}}}
    ).encode()

    event = webhook_event_parse(
        payload=payload, signature=sign(payload, settings.STRIPE_WEBHOOK_SECRET), endpoint=PLATFORM
    )

    assert (event.account, event.created) == ("", 0)


def test_each_endpoint_checks_its_own_secret(settings):
    payload = event_payload("charge.refunded", {}, event_id="evt_3")

    for endpoint, secret in [
        (PLATFORM, settings.STRIPE_CONNECT_WEBHOOK_SECRET),
        (CONNECT, settings.STRIPE_WEBHOOK_SECRET),
    ]:
        with pytest.raises(WebhookEventRejected):
            webhook_event_parse(payload=payload, signature=sign(payload, secret), endpoint=endpoint)


BAD = "Not a Stripe event: bad "


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "The payload is not JSON."),
        (b'{"id": "\xff"}', "The payload is not UTF-8."),
        (b"[1, 2]", "Not a Stripe event: the payload is not a JSON object."),
        (json.dumps({"id": "evt_4", "data": {"object": {}}}).encode(), BAD + "type."),
        (json.dumps({"type": "charge.refunded", "data": {"object": {}}}).encode(), BAD + "id."),
        (
            json.dumps({"id": "", "type": "charge.refunded", "data": {}}).encode(),
            BAD + "id, data.object.",
        ),
        (json.dumps({"id": "evt_5", "type": "", "data": {"object": {}}}).encode(), BAD + "type."),
        (
            json.dumps({"id": "evt_6", "type": "a", "account": 7, "data": {"object": {}}}).encode(),
            BAD + "account.",
        ),
        (
            json.dumps(
                {"id": "evt_7", "type": "a", "created": "today", "data": {"object": {}}}
            ).encode(),
            BAD + "created.",
        ),
        (
            json.dumps(
                {"id": "evt_8", "type": "a", "created": True, "data": {"object": {}}}
            ).encode(),
            BAD + "created.",
        ),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused_and_says_why(settings, payload, message):
    signature = sign(payload, settings.STRIPE_WEBHOOK_SECRET)

    with pytest.raises(WebhookEventRejected) as refused:
        webhook_event_parse(payload=payload, signature=signature, endpoint=PLATFORM)

    assert str(refused.value) == message


@pytest.mark.parametrize("missing", ["signature", "secret"])
def test_a_missing_signature_or_secret_is_refused_before_any_check(settings, missing):
    payload = event_payload("charge.refunded", {}, event_id="evt_5")
    signature = sign(payload, settings.STRIPE_WEBHOOK_SECRET)
    if missing == "secret":
        settings.STRIPE_WEBHOOK_SECRET = ""
    else:
        signature = ""

    with pytest.raises(WebhookEventRejected) as refused:
        webhook_event_parse(payload=payload, signature=signature, endpoint=PLATFORM)

    assert str(refused.value) == "Missing signature or endpoint secret."


@pytest.mark.parametrize(("age", "accepted"), [(290, True), (310, False)])
def test_a_signature_is_accepted_for_five_minutes(settings, age, accepted):
    payload = event_payload("charge.refunded", {}, event_id="evt_6")
    signature = sign(payload, settings.STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) - age)

    if accepted:
        assert webhook_event_parse(payload=payload, signature=signature, endpoint=PLATFORM)
    else:
        with pytest.raises(WebhookEventRejected, match="outside the tolerance zone"):
            webhook_event_parse(payload=payload, signature=signature, endpoint=PLATFORM)


def _parsed_with_previous(event_type: str, data_object: dict, previous: dict, settings) -> dict:
    data = json.loads(event_payload(event_type, data_object, event_id="evt_p", account="acct_1C"))
    data["data"]["previous_attributes"] = previous
    payload = json.dumps(data).encode()
    signature = sign(payload, settings.STRIPE_CONNECT_WEBHOOK_SECRET)
    return webhook_event_parse(payload=payload, signature=signature, endpoint=CONNECT).payload


def test_a_custom_sellers_person_event_is_kept_without_their_personal_details(settings):
    person = {
        "id": "person_1",
        "object": "person",
        "account": "acct_1C",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "dob": {"day": 10, "month": 12, "year": 1815},
        "address": {"line1": "12 St James's Square", "city": "London"},
        "phone": "+442071234567",
        "relationship": {"representative": True},
        "requirements": {"currently_due": []},
    }
    previous = {"first_name": "Augusta", "dob": {"day": 1, "month": 1, "year": 1815}}

    stored = _parsed_with_previous("person.updated", person, previous, settings)["data"]

    assert stored["object"] == {
        "id": "person_1",
        "object": "person",
        "account": "acct_1C",
        "relationship": {"representative": True},
        "requirements": {"currently_due": []},
    }
    assert stored["previous_attributes"] == {}


def test_an_account_event_loses_only_the_individual(settings):
    account = {
        "id": "acct_1C",
        "object": "account",
        "individual": {"first_name": "Ada", "dob": {"day": 10, "month": 12, "year": 1815}},
        "business_profile": {"name": "Ada's courses"},
        "charges_enabled": True,
    }
    previous = {"individual": {"first_name": "Augusta"}, "charges_enabled": False}

    stored = _parsed_with_previous("account.updated", account, previous, settings)["data"]

    assert stored["object"] == {
        "id": "acct_1C",
        "object": "account",
        "business_profile": {"name": "Ada's courses"},
        "charges_enabled": True,
    }
    assert stored["previous_attributes"] == {"charges_enabled": False}
