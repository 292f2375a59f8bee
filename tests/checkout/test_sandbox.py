"""Checkout against the project's Stripe sandbox: the real SDK, real signed webhooks."""

import pytest
import requests

from accounts.models import StripeAccount
from checkout.models import WebhookEvent
from site_config.stripe_client import stripe_client
from tests.accounts.factories import SellerFactory, StripeAccountFactory
from tests.checkout.sandbox import (
    DEMO_STANDARD_ACCOUNT,
    deliver_webhooks,
    onboarded_seller,
    submit_hosted_form,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_account_updated_from_the_sandbox_refreshes_the_sellers_account(stripe_sandbox):
    client = stripe_client()
    account = client.v1.accounts.create(params={"type": "express", "country": "US"})
    stripe_account = StripeAccountFactory(
        seller=SellerFactory(),
        stripe_account_id=account.id,
        account_type=StripeAccount.AccountType.EXPRESS,
        charges_enabled=False,
        details_submitted=False,
    )
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": f"{stripe_sandbox}/",
            "return_url": f"{stripe_sandbox}/",
        }
    )

    submit_hosted_form(requests.Session(), link.url, action="complete", business_name="Shop")
    deliver_webhooks()

    event = WebhookEvent.objects.get(type="account.updated", account=account.id)
    assert event.processed_at is not None
    assert event.endpoint == "connect"
    stripe_account.refresh_from_db()
    assert stripe_account.charges_enabled
    assert stripe_account.details_submitted


def test_deauthorization_from_the_sandbox_disconnects_the_seller(stripe_sandbox, settings):
    seller = onboarded_seller(account_type="standard", base_url=stripe_sandbox)

    stripe_client().oauth.deauthorize(
        params={
            "client_id": settings.STRIPE_CONNECT_CLIENT_ID,
            "stripe_user_id": DEMO_STANDARD_ACCOUNT,
        }
    )
    deliver_webhooks()

    event = WebhookEvent.objects.get(type="account.application.deauthorized")
    assert (event.endpoint, event.account, event.processed_at is not None) == (
        "connect",
        DEMO_STANDARD_ACCOUNT,
        True,
    )
    seller.stripe_account.refresh_from_db()
    assert not seller.stripe_account.is_connected
