"""Helpers for tests that run the checkout against the project's Stripe sandbox.

They drive the sandbox only from outside, as a person or Stripe's SDK would: API calls through
the app's client, hosted pages through HTTP forms, and `manage.py sandbox_seed_demo`.
"""

import re
import time
from io import StringIO

import requests
from django.core.management import call_command

from accounts.models import StripeAccount
from site_config.stripe_client import stripe_client
from tests.accounts.factories import SellerFactory, StripeAccountFactory

DEMO_STANDARD_ACCOUNT = "acct_1DemoSellerSandbox"


def submit_hosted_form(http: requests.Session, url: str, **fields) -> requests.Response:
    """Open a hosted page and post its form, carrying its CSRF token like a browser would."""
    page = http.get(url, timeout=10)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    data = {"csrfmiddlewaretoken": token.group(1)} if token else {}
    data.update(fields)
    return http.post(page.url, data=data, headers={"Referer": page.url}, timeout=10)


def onboarded_seller(*, account_type: str, base_url: str, email: str | None = None):
    """A seller whose sandbox account has finished onboarding and can take charges."""
    if account_type == StripeAccount.AccountType.STANDARD:
        call_command("sandbox_seed_demo", stdout=StringIO())
        account_id = DEMO_STANDARD_ACCOUNT
    else:
        client = stripe_client()
        account = client.v1.accounts.create(params={"type": account_type, "country": "US"})
        link = client.v1.account_links.create(
            params={
                "account": account.id,
                "type": "account_onboarding",
                "refresh_url": f"{base_url}/connect/refresh/",
                "return_url": f"{base_url}/",
            }
        )
        submit_hosted_form(
            requests.Session(), link.url, action="complete", business_name="Test seller"
        )
        account_id = account.id
    seller = SellerFactory(**({"email": email} if email else {}))
    StripeAccountFactory(seller=seller, stripe_account_id=account_id, account_type=account_type)
    return seller


def deliver_webhooks() -> None:
    """Have the sandbox send its due webhooks now (its background sender is off in tests)."""
    call_command("sandbox_deliver_webhooks", stdout=StringIO())


def wait_until(condition, *, timeout: float = 10.0, interval: float = 0.1):
    """Poll `condition` until it returns something truthy (webhooks arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def advance_subscription(base_url: str, subscription_id: str) -> requests.Response:
    """Press the inspector's "Advance to next period" for a subscription, as a person would."""
    http = requests.Session()
    page = http.get(f"{base_url}/stripe-sandbox/", timeout=10)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    url = f"{base_url}/stripe-sandbox/subscriptions/{subscription_id}/advance/"
    response = http.post(
        url,
        data={"csrfmiddlewaretoken": token.group(1)} if token else {},
        headers={"Referer": page.url},
        timeout=10,
    )
    response.raise_for_status()
    return response


def inspector_post(base_url: str, path: str, **fields) -> requests.Response:
    """Press an inspector button, as a person would (with the page's CSRF token)."""
    http = requests.Session()
    page = http.get(f"{base_url}/stripe-sandbox/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    data = {"csrfmiddlewaretoken": token.group(1)} if token else {}
    response = http.post(
        f"{base_url}/stripe-sandbox/{path}",
        data={**data, **fields},
        headers={"Referer": page.url},
        timeout=10,
    )
    response.raise_for_status()
    return response
