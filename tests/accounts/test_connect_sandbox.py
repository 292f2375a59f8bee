"""Connecting sellers against the Stripe sandbox over real HTTP, as with Stripe itself."""

from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe
from django.core.management import call_command
from django.urls import reverse

from accounts.models import StripeAccount
from accounts.services import (
    stripe_account_dashboard_link,
    stripe_account_disconnect_for_seller,
    stripe_account_onboarding_link,
    stripe_account_refresh,
    stripe_account_start_onboarding,
)
from tests.accounts.conftest import submit_hosted_form

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def platform_client(sandbox: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_sandbox_platform", base_addresses={"api": sandbox, "connect": sandbox}
    )


def consent(client, decision: str = "approve", **choice) -> dict:
    """Follow "Connect with Stripe" to the sandbox consent page and answer it.

    Returns the query the sandbox sends back to the redirect URI.
    """
    authorize = client.get(reverse("accounts:connect-authorize"))
    answer = submit_hosted_form(
        authorize.url,
        {"decision": decision, "account": "new", "new_email": "new@test.example", **choice},
    )
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("accounts:connect-oauth-callback")
    return {key: values[0] for key, values in parse_qs(back.query).items()}


def callback_messages(client, query: dict) -> list[str]:
    response = client.get(reverse("accounts:connect-oauth-callback"), query, follow=True)
    return [str(message) for message in response.context["messages"]]


def test_seller_connects_a_standard_account_through_oauth(sandbox, client, seller):
    client.force_login(seller)

    query = consent(client)
    messages = callback_messages(client, query)

    stripe_account = StripeAccount.objects.get(seller=seller)
    assert messages == [f"Your Stripe account {stripe_account.stripe_account_id} is connected."]
    assert stripe_account.stripe_account_id.startswith("acct_")
    assert stripe_account.account_type == "standard"
    assert stripe_account.can_take_charges
    assert stripe_account.details_submitted


def test_reused_code_is_refused_by_stripe(sandbox, client, seller):
    client.force_login(seller)
    query = consent(client)
    callback_messages(client, query)
    stripe_account_disconnect_for_seller(seller=seller)
    fresh = consent(client)

    messages = callback_messages(client, {"code": query["code"], "state": fresh["state"]})

    assert messages == [
        "That Stripe authorisation has expired or was already used. Please connect again."
    ]
    assert not StripeAccount.objects.get(seller=seller).is_connected


def test_denied_consent_links_nothing(sandbox, client, seller):
    client.force_login(seller)

    query = consent(client, decision="deny")
    messages = callback_messages(client, query)

    assert query["error"] == "access_denied"
    assert messages == ["You declined the connection on Stripe. Nothing was connected."]
    assert not StripeAccount.objects.filter(seller=seller).exists()


def test_account_of_another_seller_is_refused(sandbox, client, seller, connected_seller):
    call_command("sandbox_seed_demo", stdout=StringIO())
    connected_seller.stripe_account.stripe_account_id = "acct_1DemoSellerSandbox"
    connected_seller.stripe_account.save()
    client.force_login(seller)

    query = consent(client, account="acct_1DemoSellerSandbox")
    messages = callback_messages(client, query)

    assert "already linked to another seller" in messages[0]
    assert not StripeAccount.objects.filter(seller=seller).exists()


@pytest.mark.parametrize("account_type", ["express", "custom"])
def test_seller_onboards_an_account_the_platform_creates(sandbox, seller, account_type):
    onboarding_url = stripe_account_start_onboarding(seller=seller, account_type=account_type)
    pending = StripeAccount.objects.get(seller=seller)
    assert pending.account_type == account_type
    assert pending.is_onboarding_pending
    assert pending.requirements_due
    if account_type == "custom":
        # A Custom seller continues on the marketplace's form; Stripe's hosted form stays the
        # fallback for what that form cannot collect.
        assert onboarding_url == reverse("accounts:custom-onboarding")
        onboarding_url = stripe_account_onboarding_link(seller=seller)

    finished = submit_hosted_form(onboarding_url, {"action": "complete", "business_name": "S"})
    assert finished.headers["Location"].endswith(reverse("accounts:connect-return"))
    stripe_account = stripe_account_refresh(stripe_account_id=pending.stripe_account_id)

    assert stripe_account.account_type == account_type
    assert stripe_account.can_take_charges and stripe_account.payouts_enabled
    assert stripe_account.requirements_due == []
    created = platform_client(sandbox).v1.accounts.retrieve(pending.stripe_account_id)
    assert created.metadata["seller_id"] == str(seller.pk)


def test_second_click_reuses_the_account_on_stripe(sandbox, seller):
    stripe_account_start_onboarding(seller=seller, account_type="express")
    StripeAccount.objects.filter(seller=seller).delete()

    # The same idempotency key makes Stripe replay the first create, even with the row gone.
    stripe_account_start_onboarding(seller=seller, account_type="express")

    accounts = platform_client(sandbox).v1.accounts.list({"limit": 100}).data
    owners = [account.to_dict()["metadata"].get("seller_id") for account in accounts]
    assert owners.count(str(seller.pk)) == 1


def test_abandoned_onboarding_stays_pending_and_the_link_is_single_use(sandbox, seller):
    onboarding_url = stripe_account_start_onboarding(seller=seller, account_type="express")
    submit_hosted_form(onboarding_url, {"action": "leave"})

    reopened = requests.get(onboarding_url, allow_redirects=False, timeout=10)

    assert reopened.headers["Location"].endswith(reverse("accounts:connect-refresh"))
    stripe_account = StripeAccount.objects.get(seller=seller)
    assert stripe_account_refresh(stripe_account_id=stripe_account.stripe_account_id)
    stripe_account.refresh_from_db()
    assert stripe_account.is_onboarding_pending


def test_express_seller_opens_the_express_dashboard(sandbox, seller):
    onboarding_url = stripe_account_start_onboarding(seller=seller, account_type="express")
    # Stripe issues login links only once an Express account has finished onboarding.
    submit_hosted_form(onboarding_url, {"action": "complete", "business_name": "S"})

    dashboard = requests.get(stripe_account_dashboard_link(seller=seller), timeout=10)

    assert dashboard.status_code == 200
    assert "Express dashboard" in dashboard.text


def test_disconnecting_a_standard_account_revokes_the_platforms_access(sandbox, client, seller):
    client.force_login(seller)
    callback_messages(client, consent(client))
    account_id = StripeAccount.objects.get(seller=seller).stripe_account_id

    stripe_account_disconnect_for_seller(seller=seller)

    with pytest.raises(stripe.InvalidRequestError):
        platform_client(sandbox).v1.accounts.retrieve(account_id)
    # A late `account.updated` for it neither fails nor reconnects it.
    stripe_account = stripe_account_refresh(stripe_account_id=account_id)
    assert not stripe_account.is_connected


def test_demo_seller_is_linked_to_the_sandbox_demo_account(sandbox):
    call_command("sandbox_seed_demo", stdout=StringIO())
    call_command("load_demo_data", stdout=StringIO())

    stripe_account = stripe_account_refresh(stripe_account_id="acct_1DemoSellerSandbox")

    assert stripe_account.seller.email == "seller@example.com"
    assert stripe_account.account_type == "standard"
    assert stripe_account.can_take_charges and stripe_account.payouts_enabled
