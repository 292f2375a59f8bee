"""Signed webhooks whose content can never be handled answer 400 (a retry cannot help); a
handler that fails answers 500 so Stripe retries."""

import json
import time

import pytest
from django.urls import reverse

from checkout.models import WebhookEvent
from tests.checkout.conftest import sign

pytestmark = pytest.mark.django_db

PLATFORM = reverse("checkout:webhook")
CONNECT = reverse("checkout:webhook-connect")


def event(**fields) -> dict:
    return {
        "id": "evt_malformed",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": "cs_test_x", "object": "checkout.session"}},
        **fields,
    }


MALFORMED = {
    "a JSON array": b"[1,2]",
    "a JSON string": b'"evt"',
    "not JSON": b"{not json",
    "data not an object": json.dumps(event(data="x")).encode(),
    "data.object not an object": json.dumps(event(data={"object": [1]})).encode(),
    "created not a number": json.dumps(event(created="abc")).encode(),
    "id not a string": json.dumps(event(id=12)).encode(),
    "type missing": json.dumps({k: v for k, v in event().items() if k != "type"}).encode(),
    "account not a string": json.dumps(event(account={"id": "acct_1"})).encode(),
}


@pytest.mark.parametrize("url", [PLATFORM, CONNECT])
@pytest.mark.parametrize("payload", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_signed_but_malformed_event_is_a_400_and_stores_nothing(client, settings, url, payload):
    secret = (
        settings.STRIPE_CONNECT_WEBHOOK_SECRET if url == CONNECT else settings.STRIPE_WEBHOOK_SECRET
    )

    response = client.post(
        url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload, secret)
    )

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
