"""The sandbox's hosted Connect pages in a browser: OAuth consent and account onboarding."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def platform_pages(live_server):
    """Where the sandbox sends the browser back. The sandbox's inspector stands in for the
    platform's pages (the browser follows redirects natively, so they must exist)."""
    return f"{live_server.url}/stripe-sandbox/?platform="


@pytest.fixture(autouse=True)
def _registered_redirect_uri(settings, stripe_sandbox, platform_pages):
    settings.STRIPE_SANDBOX_OAUTH_REDIRECT_URIS = [f"{platform_pages}oauth"]


def test_seller_approves_oauth_consent_with_a_new_account(page, sdk, platform_pages):
    url = sdk.oauth.authorize_url(
        params={
            "scope": "read_write",
            "redirect_uri": f"{platform_pages}oauth",
            "state": "xyz",
            "stripe_user": {"email": "new@example.com"},
        }
    )

    page.goto(url)
    expect(page).to_have_title(re.compile("Connect your Stripe account"))
    page.get_by_label("Create a new test account").check()
    expect(page.get_by_label("Email for the new account")).to_have_value("new@example.com")
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(re.compile(r"platform=oauth&.*code="))
    assert "state=xyz" in page.url
    code = re.search(r"code=([^&]+)", page.url).group(1)
    token = sdk.oauth.token(params={"grant_type": "authorization_code", "code": code})
    assert sdk.v1.accounts.retrieve(token.stripe_user_id).email == "new@example.com"


def test_seller_denies_oauth_consent(page, sdk, platform_pages):
    url = sdk.oauth.authorize_url(params={"redirect_uri": f"{platform_pages}oauth", "state": "xyz"})

    page.goto(url)
    page.get_by_role("button", name="Deny").click()

    page.wait_for_url(re.compile(r"platform=oauth&error=access_denied"))
    assert "state=xyz" in page.url


def test_seller_completes_hosted_onboarding(page, sdk, platform_pages):
    account = sdk.v1.accounts.create(params={"type": "express", "email": "pat@example.com"})
    link = sdk.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "return_url": f"{platform_pages}return",
            "refresh_url": f"{platform_pages}refresh",
        }
    )

    page.goto(link.url)
    expect(page).to_have_title(re.compile("Set up payments"))
    page.get_by_label("Business name").fill("Pat's Pottery Courses")
    page.get_by_role("button", name="Complete onboarding").click()

    page.wait_for_url(f"{platform_pages}return")
    onboarded = sdk.v1.accounts.retrieve(account.id)
    assert onboarded.charges_enabled is True
    assert onboarded.business_profile.name == "Pat's Pottery Courses"
