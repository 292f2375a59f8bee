"""Fixtures for testing the Connect gateway over HTTP with `responses`.

stripe-python sends requests through the `requests` library when it is installed (it is), so
`responses` sees exactly what would go over the wire to Stripe or the sandbox.
"""

from html.parser import HTMLParser

import pytest
import requests
import responses
import stripe


@pytest.fixture
def stripe_base(settings) -> str:
    """The base URL the app's Stripe client talks to in tests (the sandbox address)."""
    return settings.STRIPE_API_BASE


@pytest.fixture
def stripe_http(monkeypatch):
    """Every HTTP request the SDK makes must be mocked; retries happen without waiting."""
    monkeypatch.setattr(stripe.RequestsClient, "_sleep_time_seconds", lambda self, *args: 0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def account_json(
    account_id: str = "acct_1Connected000001",
    *,
    account_type: str = "standard",
    charges_enabled: bool = True,
    payouts_enabled: bool = True,
    details_submitted: bool = True,
    currently_due: list[str] | None = None,
    past_due: list[str] | None = None,
    controller: dict | None = None,
) -> dict:
    """An account object shaped like Stripe's (fixtures3.json `account`)."""
    return {
        "id": account_id,
        "object": "account",
        "type": account_type,
        "controller": controller or {"type": "account"},
        "charges_enabled": charges_enabled,
        "payouts_enabled": payouts_enabled,
        "details_submitted": details_submitted,
        "country": "US",
        "default_currency": "usd",
        "email": "seller@test.example",
        "metadata": {},
        "requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": currently_due or [],
            "disabled_reason": None,
            "errors": [],
            "eventually_due": currently_due or [],
            "past_due": past_due or [],
            "pending_verification": [],
        },
    }


def token_json(account_id: str = "acct_1Connected000001") -> dict:
    """Stripe's OAuth token response, secrets included, as Stripe sends it."""
    return {
        "access_token": "sk_test_secret_that_must_not_be_stored",
        "livemode": False,
        "refresh_token": "rt_secret_that_must_not_be_stored",
        "token_type": "bearer",
        "stripe_publishable_key": "pk_test_connected",
        "stripe_user_id": account_id,
        "scope": "read_write",
    }


@pytest.fixture
def time_machine_seconds(monkeypatch):
    """Move the clock the OAuth state expiry reads forward by some seconds."""
    import time

    real_time = time.time
    offset = {"seconds": 0}
    monkeypatch.setattr("accounts.services.time.time", lambda: real_time() + offset["seconds"])

    def travel(seconds: int) -> None:
        offset["seconds"] += seconds

    return travel


@pytest.fixture
def sandbox(stripe_sandbox, settings) -> str:
    """The live server's Stripe sandbox; webhooks stay queued (their endpoint is not here)."""
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
    return f"{stripe_sandbox}/stripe-sandbox"


class _HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.values[attributes["name"]] = attributes.get("value") or ""


def submit_hosted_form(url: str, data: dict, *, browser: requests.Session | None = None):
    """Open a sandbox-hosted page (consent, onboarding) and submit its form like a browser,
    hidden fields and CSRF token included; the answer's redirect is not followed."""
    browser = browser or requests.Session()
    page = browser.get(url, timeout=10)
    page.raise_for_status()
    hidden = _HiddenInputs()
    hidden.feed(page.text)
    return browser.post(page.url, data={**hidden.values, **data}, allow_redirects=False, timeout=10)
