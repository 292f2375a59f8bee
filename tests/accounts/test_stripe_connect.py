"""The Connect gateway against Stripe's HTTP interface, mocked with `responses`."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from accounts.stripe_connect import (
    account_create,
    account_onboarding_link_create,
    account_retrieve,
    login_link_create,
    oauth_authorize_url,
    oauth_deauthorize,
    oauth_token_exchange,
)
from site_config.stripe_client import StripeErrorCode, StripeGatewayError
from tests.accounts.conftest import account_json, token_json


def test_authorize_url_points_at_the_sandbox_consent_page(settings):
    url = oauth_authorize_url(
        state="s1", redirect_uri="http://shop.test/connect/oauth/callback/", email="a@b.test"
    )

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{settings.SITE_URL}/stripe-sandbox/oauth/authorize"
    )
    assert parse_qs(parts.query) == {
        "client_id": ["ca_sandbox_platform"],
        "response_type": ["code"],
        "scope": ["read_write"],
        "redirect_uri": ["http://shop.test/connect/oauth/callback/"],
        "state": ["s1"],
        "stripe_user[email]": ["a@b.test"],
    }


def test_authorize_url_points_at_stripe_with_real_keys(settings):
    settings.STRIPE_API_BASE = None
    settings.STRIPE_CONNECT_CLIENT_ID = "ca_real"

    url = oauth_authorize_url(
        state="s1", redirect_uri="https://shop.test/connect/oauth/callback/", email="a@b.test"
    )

    assert url.startswith("https://connect.stripe.com/oauth/authorize?")
    assert parse_qs(urlsplit(url).query)["client_id"] == ["ca_real"]


def test_token_exchange_returns_only_the_account_id(stripe_http, stripe_base):
    stripe_http.post(f"{stripe_base}/oauth/token", json=token_json("acct_1Token"))

    assert oauth_token_exchange(code="ac_123") == "acct_1Token"
    sent = parse_qs(stripe_http.calls[0].request.body)
    assert sent == {"grant_type": ["authorization_code"], "code": ["ac_123"]}
    assert (
        stripe_http.calls[0].request.headers["Authorization"] == "Bearer sk_test_sandbox_platform"
    )


def test_reused_code_is_an_invalid_grant(stripe_http, stripe_base):
    stripe_http.post(
        f"{stripe_base}/oauth/token",
        status=400,
        json={"error": "invalid_grant", "error_description": "Authorization code already used"},
    )

    with pytest.raises(StripeGatewayError) as raised:
        oauth_token_exchange(code="ac_used")

    assert raised.value.code == StripeErrorCode.INVALID_GRANT
    assert "expired or was already used" in raised.value.user_message


def test_stripe_500_is_retried_then_reported(stripe_http, stripe_base):
    stripe_http.post(
        f"{stripe_base}/oauth/token",
        status=500,
        json={"error": {"type": "api_error", "message": "Something went wrong"}},
    )

    with pytest.raises(StripeGatewayError) as raised:
        oauth_token_exchange(code="ac_123")

    assert (
        raised.value.user_message == "Stripe had a problem answering. Please try again in a moment."
    )
    assert len(stripe_http.calls) == 3


def test_timeout_is_reported_as_unreachable(stripe_http, stripe_base):
    stripe_http.post(f"{stripe_base}/oauth/token", body=requests.exceptions.ReadTimeout("slow"))

    with pytest.raises(StripeGatewayError) as raised:
        oauth_token_exchange(code="ac_123")

    assert raised.value.code == StripeErrorCode.UNREACHABLE
    assert "could not be reached" in raised.value.user_message


def test_deauthorize_sends_the_client_id_and_account(stripe_http, stripe_base):
    stripe_http.post(f"{stripe_base}/oauth/deauthorize", json={"stripe_user_id": "acct_1Gone"})

    oauth_deauthorize(stripe_account_id="acct_1Gone")

    assert parse_qs(stripe_http.calls[0].request.body)["stripe_user_id"] == ["acct_1Gone"]

    assert parse_qs(stripe_http.calls[0].request.body) == {
        "stripe_user_id": ["acct_1Gone"],
        "client_id": ["ca_sandbox_platform"],
    }


def test_deauthorizing_an_account_already_gone_counts_as_done(stripe_http, stripe_base):
    stripe_http.post(
        f"{stripe_base}/oauth/deauthorize",
        status=401,
        json={"error": "invalid_client", "error_description": "No such application connection"},
    )

    oauth_deauthorize(stripe_account_id="acct_1Gone")

    assert parse_qs(stripe_http.calls[0].request.body)["stripe_user_id"] == ["acct_1Gone"]


def test_retrieve_reads_status_and_requirements(stripe_http, stripe_base):
    stripe_http.get(
        f"{stripe_base}/v1/accounts/acct_1Pending",
        json=account_json(
            "acct_1Pending",
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            past_due=["external_account"],
            currently_due=["external_account", "tos_acceptance.date"],
        ),
    )

    account = account_retrieve(stripe_account_id="acct_1Pending")

    assert account.account_type == "standard"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.requirements_due == ("external_account", "tos_acceptance.date")


def test_account_without_legacy_type_gets_it_from_its_controller(stripe_http, stripe_base):
    controller = {"type": "application", "stripe_dashboard": {"type": "none"}}
    stripe_http.get(
        f"{stripe_base}/v1/accounts/acct_1Ctrl",
        json=account_json("acct_1Ctrl", account_type="none", controller=controller),
    )

    assert account_retrieve(stripe_account_id="acct_1Ctrl").account_type == "custom"


def test_unknown_account_is_reported_with_stripes_code(stripe_http, stripe_base):
    stripe_http.get(
        f"{stripe_base}/v1/accounts/acct_1Nope",
        status=404,
        json={
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": "No such account: 'acct_1Nope'",
                "param": "account",
            }
        },
    )

    with pytest.raises(StripeGatewayError) as raised:
        account_retrieve(stripe_account_id="acct_1Nope")

    assert raised.value.code == StripeErrorCode.RESOURCE_MISSING


@pytest.mark.parametrize(
    ("account_type", "expected"),
    [
        (
            "express",
            {
                "controller[stripe_dashboard][type]": ["express"],
                "controller[fees][payer]": ["application"],
                "controller[losses][payments]": ["application"],
            },
        ),
        (
            "custom",
            {
                "controller[stripe_dashboard][type]": ["none"],
                "controller[requirement_collection]": ["application"],
                "controller[fees][payer]": ["application"],
                "controller[losses][payments]": ["application"],
            },
        ),
    ],
)
def test_create_describes_the_account_with_controller_properties(
    stripe_http, stripe_base, account_type, expected
):
    stripe_http.post(
        f"{stripe_base}/v1/accounts",
        json=account_json("acct_1New", account_type=account_type, charges_enabled=False),
    )

    account = account_create(
        account_type=account_type,
        email="s@test.example",
        business_name="Grace Hopper",
        seller_id=7,
        idempotency_key="key-7",
    )

    request = stripe_http.calls[0].request
    sent = parse_qs(request.body)
    assert {name: sent[name] for name in expected} == expected
    assert [name for name in sent if name.startswith("controller")] == list(expected)
    assert sent["capabilities[card_payments][requested]"] == ["true"]
    assert sent["capabilities[transfers][requested]"] == ["true"]
    assert sent["metadata[seller_id]"] == ["7"]
    # Stripe's payment page names the seller as the catalog does.
    assert sent["business_profile[name]"] == ["Grace Hopper"]
    assert request.headers["Idempotency-Key"] == "key-7"
    assert account.id == "acct_1New"
    assert account.account_type == account_type


def test_onboarding_link_asks_for_account_onboarding(stripe_http, stripe_base):
    stripe_http.post(
        f"{stripe_base}/v1/account_links",
        json={
            "object": "account_link",
            "created": 1,
            "expires_at": 301,
            "url": "https://connect.stripe.test/setup/s/acct_1New/abc",
        },
    )

    url = account_onboarding_link_create(
        stripe_account_id="acct_1New",
        return_url="http://shop.test/return/",
        refresh_url="http://shop.test/refresh/",
    )

    assert url == "https://connect.stripe.test/setup/s/acct_1New/abc"
    assert parse_qs(stripe_http.calls[0].request.body) == {
        "account": ["acct_1New"],
        "type": ["account_onboarding"],
        "return_url": ["http://shop.test/return/"],
        "refresh_url": ["http://shop.test/refresh/"],
    }


def test_login_link_opens_the_express_dashboard(stripe_http, stripe_base):
    stripe_http.post(
        f"{stripe_base}/v1/accounts/acct_1Exp/login_links",
        json={"object": "login_link", "created": 1, "url": "https://stripe.test/express/x"},
    )

    assert login_link_create(stripe_account_id="acct_1Exp") == "https://stripe.test/express/x"


def test_refused_connection_is_reported_as_unreachable(stripe_http, stripe_base):
    stripe_http.get(
        f"{stripe_base}/v1/accounts/acct_1Down",
        body=requests.exceptions.ConnectionError("connection refused"),
    )

    with pytest.raises(StripeGatewayError) as raised:
        account_retrieve(stripe_account_id="acct_1Down")

    assert raised.value.code == StripeErrorCode.UNREACHABLE
    assert len(stripe_http.calls) == 3
