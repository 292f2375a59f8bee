"""The sandbox's pages on a phone: a title, labelled fields, nothing wider than the screen."""

import re

import pytest
from django.core.management import call_command
from django.db import transaction

from stripe_sandbox import store
from stripe_sandbox.events import emit_event
from stripe_sandbox.resources.accounts import account_complete_onboarding
from stripe_sandbox.routers import SANDBOX_DATABASE

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PHONE = {"width": 390, "height": 844}

FIELDS_WITHOUT_LABEL = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.type !== 'submit')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


def _page_urls(sdk, live_server) -> dict[str, str]:
    call_command("sandbox_seed_demo")
    express = sdk.v1.accounts.create(params={"type": "express", "email": "pat@example.com"})
    sdk.v1.accounts.update(express.id, params={"metadata": {"seller": "1"}})
    with transaction.atomic(using=SANDBOX_DATABASE):
        emit_event("charge.succeeded", {"id": "ch_1LongIdentifierForWrapping", "object": "charge"})
    back = f"{live_server.url}/stripe-sandbox/"
    onboarded = sdk.v1.accounts.create(params={"type": "express", "email": "done@example.com"})
    with transaction.atomic(using=SANDBOX_DATABASE):
        account_complete_onboarding(store.get_object("account", onboarded.id))
    link = sdk.v1.account_links.create(
        params={
            "account": express.id,
            "type": "account_onboarding",
            "return_url": back,
            "refresh_url": back,
        }
    )
    return {
        "inspector": back,
        "consent": sdk.oauth.authorize_url(
            params={"redirect_uri": f"{live_server.url}/connect/oauth/callback/", "state": "s"}
        ),
        "onboarding": link.url,
        "express dashboard": sdk.v1.accounts.login_links.create(onboarded.id).url,
    }


def test_sandbox_pages_are_usable_on_a_phone(page, sdk, live_server):
    urls = _page_urls(sdk, live_server)
    page.set_viewport_size(PHONE)

    for name, url in urls.items():
        response = page.goto(url)
        assert response.status == 200, name
        assert re.search(r"Stripe sandbox$", page.title()), name
        assert page.evaluate(FIELDS_WITHOUT_LABEL) == [], name
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the {name} page is {overflow}px wider than a phone screen"
