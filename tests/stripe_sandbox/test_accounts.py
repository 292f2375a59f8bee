from datetime import timedelta

import pytest
import requests
import stripe
from django.core.management import call_command
from django.utils import timezone

from stripe_sandbox.models import HostedLink
from stripe_sandbox.routers import SANDBOX_DATABASE
from stripe_sandbox.webhooks import wait_for_deliveries

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

RETURN_URL = "http://testserver.example/connect/return/"
REFRESH_URL = "http://testserver.example/connect/refresh/"


def _onboarding_link(sdk, account_id, link_type="account_onboarding"):
    return sdk.v1.account_links.create(
        params={
            "account": account_id,
            "type": link_type,
            "return_url": RETURN_URL,
            "refresh_url": REFRESH_URL,
        }
    )


def _complete(session, url, **fields):
    form = {"action": "complete", "business_name": "Pat's Courses", **fields}
    page = session.get(url, allow_redirects=False)
    assert page.status_code == 200
    form["csrfmiddlewaretoken"] = session.cookies["csrftoken"]
    return session.post(url, data=form, headers={"Referer": url}, allow_redirects=False)


def test_express_account_starts_with_requirements_due_and_charges_disabled(sdk):
    account = sdk.v1.accounts.create(
        params={"type": "express", "email": "pat@example.com", "country": "GB"}
    )

    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert account.type == "express"
    assert account.country == "GB"
    assert account.charges_enabled is False
    assert account.payouts_enabled is False
    assert account.details_submitted is False
    assert "external_account" in account.requirements.currently_due
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.controller.stripe_dashboard.type == "express"
    assert sdk.v1.accounts.retrieve(account.id).email == "pat@example.com"


def test_account_created_with_controller_properties_reports_them(sdk):
    account = sdk.v1.accounts.create(
        params={
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "express"},
            }
        }
    )

    assert account.type == "express"
    assert account.controller.type == "application"
    assert account.controller.is_controller is True
    assert account.controller.fees.payer == "application"
    assert account.controller.requirement_collection == "stripe"


def test_account_type_must_be_a_known_type(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.accounts.create(params={"type": "premium"})

    assert raised.value.error.param == "type"


def test_account_update_merges_metadata_and_delete_removes_it(sdk):
    account = sdk.v1.accounts.create(params={"type": "custom", "metadata": {"a": "1"}})

    updated = sdk.v1.accounts.update(account.id, params={"metadata": {"b": "2", "a": ""}})
    deleted = sdk.v1.accounts.delete(account.id)

    assert updated.metadata.to_dict() == {"b": "2"}
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.accounts.retrieve(account.id)


def test_account_link_opens_hosted_onboarding_that_enables_charges(sdk, receiver):
    account = sdk.v1.accounts.create(params={"type": "express", "email": "pat@example.com"})
    link = _onboarding_link(sdk, account.id)

    assert link.object == "account_link"
    assert link.expires_at > link.created
    response = _complete(requests.Session(), link.url)

    assert response.status_code == 302
    assert response.headers["Location"] == RETURN_URL
    onboarded = sdk.v1.accounts.retrieve(account.id)
    assert onboarded.charges_enabled and onboarded.payouts_enabled and onboarded.details_submitted
    assert onboarded.requirements.currently_due == []
    assert onboarded.business_profile.name == "Pat's Courses"
    wait_for_deliveries()
    [webhook] = receiver.wait_for(1)
    event = stripe.Webhook.construct_event(
        webhook["body"], webhook["headers"]["Stripe-Signature"], "whsec_sandbox_connect"
    )
    assert event.type == "account.updated"
    assert event.account == account.id
    assert event.data.object.charges_enabled is True
    assert event.data.previous_attributes.charges_enabled is False


def test_leaving_onboarding_returns_without_enabling_charges(sdk):
    account = sdk.v1.accounts.create(params={"type": "express"})
    link = _onboarding_link(sdk, account.id)
    session = requests.Session()
    session.get(link.url)

    response = session.post(
        link.url,
        data={"action": "leave", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": link.url},
        allow_redirects=False,
    )

    assert response.headers["Location"] == RETURN_URL
    assert sdk.v1.accounts.retrieve(account.id).charges_enabled is False


def test_account_link_is_single_use(sdk):
    account = sdk.v1.accounts.create(params={"type": "express"})
    link = _onboarding_link(sdk, account.id)
    requests.get(link.url, timeout=5)

    second_visit = requests.get(link.url, allow_redirects=False, timeout=5)

    assert second_visit.status_code == 302
    assert second_visit.headers["Location"] == REFRESH_URL


def test_expired_account_link_goes_to_refresh_url(sdk):
    account = sdk.v1.accounts.create(params={"type": "express"})
    link = _onboarding_link(sdk, account.id)
    HostedLink.objects.using(SANDBOX_DATABASE).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = requests.get(link.url, allow_redirects=False, timeout=5)

    assert response.status_code == 302
    assert response.headers["Location"] == REFRESH_URL


def test_account_update_links_are_only_for_custom_accounts(sdk):
    express = sdk.v1.accounts.create(params={"type": "express"})
    custom = sdk.v1.accounts.create(params={"type": "custom"})

    with pytest.raises(stripe.InvalidRequestError):
        _onboarding_link(sdk, express.id, "account_update")
    assert _onboarding_link(sdk, custom.id, "account_update").url


def test_account_link_for_unknown_account_is_resource_missing(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _onboarding_link(sdk, "acct_1Missing")

    assert raised.value.error.code == "resource_missing"
    assert raised.value.error.param == "account"


def test_login_link_opens_the_express_dashboard_once(sdk):
    account = sdk.v1.accounts.create(params={"type": "express", "email": "pat@example.com"})

    login = sdk.v1.accounts.login_links.create(account.id)
    page = requests.get(login.url, timeout=5)
    again = requests.get(login.url, timeout=5)

    assert login.object == "login_link"
    assert page.status_code == 200
    assert "Express dashboard" in page.text and account.id in page.text
    assert again.status_code == 410


def test_login_links_are_refused_for_standard_accounts(sdk):
    account = sdk.v1.accounts.create(params={"type": "standard"})

    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.accounts.login_links.create(account.id)


def test_seed_demo_creates_the_fixed_onboarded_standard_account_once(sdk):
    call_command("sandbox_seed_demo")
    call_command("sandbox_seed_demo")

    account = sdk.v1.accounts.retrieve("acct_1DemoSellerSandbox")
    assert account.type == "standard"
    assert account.email == "seller@example.com"
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert [a.id for a in sdk.v1.accounts.list().data] == ["acct_1DemoSellerSandbox"]
    assert (
        sdk.v1.accounts.retrieve(
            "acct_1DemoSellerSandbox", options={"stripe_account": "acct_1DemoSellerSandbox"}
        ).id
        == "acct_1DemoSellerSandbox"
    )
