import pytest
from django.core.management import call_command
from django.db import transaction

from stripe_sandbox.events import emit_event
from stripe_sandbox.models import WebhookDelivery
from stripe_sandbox.routers import SANDBOX_DATABASE

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture(autouse=True)
def _no_worker(settings):
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
    settings.STRIPE_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/nowhere"


def test_inspector_lists_accounts_and_events_with_delivery_status(client):
    call_command("sandbox_seed_demo")
    with transaction.atomic(using=SANDBOX_DATABASE):
        event = emit_event("charge.succeeded", {"id": "ch_1", "object": "charge"})

    response = client.get("/stripe-sandbox/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Inspector · Stripe sandbox</title>" in html
    assert "acct_1DemoSellerSandbox" in html and "seller@example.com" in html
    assert event.id in html and "charge.succeeded" in html
    assert "pending" in html
    assert "Resend" in html


def test_resend_button_queues_the_delivery_again(client):
    with transaction.atomic(using=SANDBOX_DATABASE):
        event = emit_event("charge.succeeded", {"id": "ch_1", "object": "charge"})
    delivery = WebhookDelivery.objects.using(SANDBOX_DATABASE).get(event=event)
    WebhookDelivery.objects.using(SANDBOX_DATABASE).filter(pk=delivery.pk).update(
        status="failed", next_attempt_at=None
    )

    response = client.post(f"/stripe-sandbox/deliveries/{delivery.pk}/resend/")

    delivery.refresh_from_db()
    assert response.status_code == 302
    assert delivery.status == "pending"
    assert delivery.next_attempt_at is not None


@pytest.mark.parametrize(
    "url", ["/stripe-sandbox/", "/stripe-sandbox/v1/accounts", "/stripe-sandbox/oauth/authorize"]
)
def test_sandbox_answers_404_when_debug_is_off_and_it_is_not_allowed(client, settings, url):
    settings.DEBUG = False
    settings.STRIPE_SANDBOX_ALLOWED = False

    response = client.get(url, HTTP_AUTHORIZATION="Bearer sk_test_sandbox_platform")

    assert response.status_code == 404


def test_sandbox_serves_in_debug_without_the_allow_flag(client, settings):
    settings.DEBUG = True
    settings.STRIPE_SANDBOX_ALLOWED = False

    response = client.get(
        "/stripe-sandbox/v1/accounts", HTTP_AUTHORIZATION="Bearer sk_test_sandbox_platform"
    )

    assert response.status_code == 200
