import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe

from stripe_sandbox.webhooks import wait_for_deliveries
from tests.stripe_sandbox.conftest import make_client

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

REDIRECT_URI = "http://testserver.example/connect/oauth/callback/"


@pytest.fixture(autouse=True)
def _registered_redirect_uri(settings, stripe_sandbox):
    settings.STRIPE_SANDBOX_OAUTH_REDIRECT_URIS = [REDIRECT_URI]


def _authorize_url(sdk, **params):
    return sdk.oauth.authorize_url(
        params={"scope": "read_write", "redirect_uri": REDIRECT_URI, "state": "s-123", **params}
    )


def _decide(url, decision, **form):
    session = requests.Session()
    consent = session.get(url, timeout=5)
    assert consent.status_code == 200
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    response = session.post(
        url.split("?")[0],
        data={
            **query,
            "decision": decision,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            **form,
        },
        headers={"Referer": url},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    return location, {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_approving_consent_returns_a_code_that_exchanges_for_the_account(sdk):
    url = _authorize_url(sdk, stripe_user={"email": "new-seller@example.com"})

    location, query = _decide(url, "approve", account="new")
    token = sdk.oauth.token(params={"grant_type": "authorization_code", "code": query["code"]})

    assert location.startswith(REDIRECT_URI)
    assert query["state"] == "s-123"
    assert query["scope"] == "read_write"
    assert token.token_type == "bearer"
    assert token.livemode is False
    assert token.scope == "read_write"
    assert token.stripe_publishable_key.startswith("pk_test_")
    assert token.access_token.startswith("sk_test_")
    assert token.refresh_token
    account = sdk.v1.accounts.retrieve(token.stripe_user_id)
    assert account.email == "new-seller@example.com"
    assert account.type == "standard"
    assert account.charges_enabled is True


def test_consent_can_pick_an_existing_account(sdk):
    existing = sdk.v1.accounts.create(params={"type": "standard", "email": "old@example.com"})
    page = requests.get(_authorize_url(sdk), timeout=5)
    assert existing.id in page.text

    _, query = _decide(_authorize_url(sdk), "approve", account=existing.id)
    token = sdk.oauth.token(params={"grant_type": "authorization_code", "code": query["code"]})

    assert token.stripe_user_id == existing.id


def test_denying_consent_returns_access_denied_with_the_state(sdk):
    location, query = _decide(_authorize_url(sdk), "deny")

    assert location.startswith(REDIRECT_URI)
    assert query == {
        "error": "access_denied",
        "error_description": "The user denied your request",
        "state": "s-123",
    }


def test_authorization_code_works_only_once(sdk):
    _, query = _decide(_authorize_url(sdk), "approve", account="new", new_email="a@example.com")
    sdk.oauth.token(params={"grant_type": "authorization_code", "code": query["code"]})

    with pytest.raises(stripe.oauth_error.InvalidGrantError) as raised:
        sdk.oauth.token(params={"grant_type": "authorization_code", "code": query["code"]})

    assert raised.value.code == "invalid_grant"
    assert raised.value.http_status == 400


def test_unknown_code_is_invalid_grant(sdk):
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        sdk.oauth.token(params={"grant_type": "authorization_code", "code": "ac_nope"})


def test_wrong_secret_key_is_invalid_client(sdk, sandbox_url):
    _, query = _decide(_authorize_url(sdk), "approve", account="new", new_email="a@example.com")

    with pytest.raises(stripe.oauth_error.InvalidClientError) as raised:
        make_client(sandbox_url, api_key="sk_test_sandbox_other").oauth.token(
            params={"grant_type": "authorization_code", "code": query["code"]}
        )

    assert raised.value.code == "invalid_client"
    assert raised.value.http_status == 400
    body = raised.value.json_body
    assert set(body) == {"error", "error_description"}


def test_refresh_token_issues_a_new_access_token(sdk):
    _, query = _decide(_authorize_url(sdk), "approve", account="new", new_email="a@example.com")
    token = sdk.oauth.token(params={"grant_type": "authorization_code", "code": query["code"]})

    refreshed = sdk.oauth.token(
        params={"grant_type": "refresh_token", "refresh_token": token.refresh_token}
    )

    assert refreshed.stripe_user_id == token.stripe_user_id
    assert refreshed.access_token != token.access_token


def test_authorize_refuses_a_wrong_client_id(sdk, sandbox_url):
    response = requests.get(
        f"{sandbox_url}/oauth/authorize?response_type=code&client_id=ca_other"
        f"&redirect_uri={REDIRECT_URI}",
        timeout=5,
    )

    assert response.status_code == 400
    assert "No such application" in response.text


def test_authorize_refuses_a_response_type_other_than_code(sdk, sandbox_url):
    response = requests.get(
        f"{sandbox_url}/oauth/authorize?response_type=token&client_id=ca_sandbox_platform"
        f"&redirect_uri={REDIRECT_URI}",
        timeout=5,
    )

    assert response.status_code == 400
    assert "response_type" in response.text


def test_deauthorize_disconnects_and_notifies_the_connect_endpoint(sdk, receiver):
    _, query = _decide(_authorize_url(sdk), "approve", account="new", new_email="a@example.com")
    token = sdk.oauth.token(params={"grant_type": "authorization_code", "code": query["code"]})

    result = sdk.oauth.deauthorize(params={"stripe_user_id": token.stripe_user_id})

    assert result.stripe_user_id == token.stripe_user_id
    with pytest.raises(stripe.PermissionError):
        sdk.v1.accounts.retrieve(
            token.stripe_user_id, options={"stripe_account": token.stripe_user_id}
        )
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        sdk.oauth.deauthorize(params={"stripe_user_id": token.stripe_user_id})
    wait_for_deliveries()
    authorized, deauthorized = receiver.wait_for(2)
    assert json.loads(authorized["body"])["type"] == "account.application.authorized"
    event = stripe.Webhook.construct_event(
        deauthorized["body"], deauthorized["headers"]["Stripe-Signature"], "whsec_sandbox_connect"
    )
    assert event.type == "account.application.deauthorized"
    assert event.account == token.stripe_user_id
    assert event.data.object.id == "ca_sandbox_platform"


def test_access_token_acts_as_the_connected_account_until_deauthorized(sdk, sandbox_url):
    _, query = _decide(_authorize_url(sdk), "approve", account="new", new_email="a@example.com")
    token = sdk.oauth.token(params={"grant_type": "authorization_code", "code": query["code"]})
    as_seller = make_client(sandbox_url, api_key=token.access_token)

    assert as_seller.v1.accounts.retrieve_current().id == token.stripe_user_id

    sdk.oauth.deauthorize(params={"stripe_user_id": token.stripe_user_id})
    with pytest.raises(stripe.AuthenticationError):
        as_seller.v1.accounts.retrieve_current()


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/",
        "http://testserver.example/connect/oauth/callback/?next=https://evil.example/",
        "http://testserver.example/connect/oauth/callback",
        "http://TESTSERVER.example/connect/oauth/callback/",
    ],
)
def test_consent_refuses_a_redirect_uri_the_platform_never_registered(sdk, redirect_uri):
    session = requests.Session()
    # A genuine consent page first, for the CSRF cookie a forged form would also carry.
    assert session.get(_authorize_url(sdk), timeout=5).status_code == 200
    url = _authorize_url(sdk, redirect_uri=redirect_uri)

    consent = session.get(url, timeout=5)
    approve = session.post(
        url.split("?")[0],
        data={
            **{key: values[0] for key, values in parse_qs(urlsplit(url).query).items()},
            "decision": "approve",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": url},
        allow_redirects=False,
        timeout=5,
    )

    assert consent.status_code == 400
    assert "must exactly match one of the redirect URIs registered" in consent.text
    assert approve.status_code == 400
    assert "Location" not in approve.headers


def test_consent_without_a_redirect_uri_returns_to_the_first_registered_one(sdk):
    url = sdk.oauth.authorize_url(params={"scope": "read_write", "state": "s-1"})

    location, query = _decide(url, "deny")

    assert location.startswith(REDIRECT_URI + "?")
    assert query["error"] == "access_denied"
