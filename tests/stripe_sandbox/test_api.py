import pytest
import requests
import stripe

from tests.stripe_sandbox.conftest import make_client

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_wrong_api_key_is_refused_with_401(sandbox_url):
    with pytest.raises(stripe.AuthenticationError) as raised:
        make_client(sandbox_url, api_key="sk_test_sandbox_wrong").v1.accounts.list()

    assert raised.value.http_status == 401
    assert raised.value.error.type == "invalid_request_error"
    assert raised.value.user_message.startswith("Invalid API Key provided")


def test_missing_api_key_is_refused_with_401(sandbox_url):
    response = requests.get(f"{sandbox_url}/v1/accounts", timeout=5)

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in response.json()["error"]["message"]


def test_unknown_parameter_is_refused_like_stripe(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.accounts.create(params={"type": "express", "colour": "blue"})

    assert raised.value.http_status == 400
    assert raised.value.error.code == "parameter_unknown"
    assert raised.value.error.param == "colour"
    assert raised.value.user_message == "Received unknown parameter: colour"


def test_unknown_nested_parameter_names_its_path(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.accounts.create(params={"controller": {"fees": {"who": "me"}}})

    assert raised.value.user_message == "Received unknown parameter: controller[fees][who]"


def test_missing_required_parameter_is_refused(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.account_links.create(params={"type": "account_onboarding"})

    assert raised.value.error.code == "parameter_missing"
    assert raised.value.error.param == "account"


def test_invalid_integer_is_refused(sandbox_url):
    response = requests.get(
        f"{sandbox_url}/v1/accounts?limit=ten",
        headers={"Authorization": "Bearer sk_test_sandbox_platform"},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid integer: ten"


def test_unrecognized_url_is_a_stripe_404(sandbox_url):
    response = requests.get(
        f"{sandbox_url}/v1/nothing_here",
        headers={"Authorization": "Bearer sk_test_sandbox_platform"},
        timeout=5,
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/nothing_here)"
    )


def test_missing_object_is_resource_missing(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.accounts.retrieve("acct_1Nope")

    assert raised.value.http_status == 404
    assert raised.value.error.code == "resource_missing"
    assert raised.value.user_message == "No such account: 'acct_1Nope'"


def test_same_idempotency_key_replays_the_first_response(sdk):
    options = {"idempotency_key": "order-1-account"}

    first = sdk.v1.accounts.create(params={"type": "express"}, options=options)
    second = sdk.v1.accounts.create(params={"type": "express"}, options=options)

    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sdk.v1.accounts.list().data) == 1


def test_reused_idempotency_key_with_other_params_is_an_idempotency_error(sdk):
    options = {"idempotency_key": "order-2-account"}
    sdk.v1.accounts.create(params={"type": "express"}, options=options)

    with pytest.raises(stripe.IdempotencyError) as raised:
        sdk.v1.accounts.create(params={"type": "custom"}, options=options)

    assert raised.value.http_status == 400
    assert raised.value.error.type == "idempotency_error"


def test_validation_errors_are_not_saved_under_the_idempotency_key(sdk):
    options = {"idempotency_key": "order-3-account"}
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.accounts.create(params={"type": "express", "bogus": "1"}, options=options)

    account = sdk.v1.accounts.create(params={"type": "express"}, options=options)

    assert account.id.startswith("acct_")


def test_lists_paginate_newest_first(sdk):
    created = [sdk.v1.accounts.create(params={"type": "express"}).id for _ in range(5)]
    newest_first = list(reversed(created))

    page_one = sdk.v1.accounts.list(params={"limit": 2})
    page_two = sdk.v1.accounts.list(params={"limit": 2, "starting_after": page_one.data[-1].id})
    last = sdk.v1.accounts.list(params={"limit": 2, "starting_after": page_two.data[-1].id})
    before = sdk.v1.accounts.list(params={"limit": 2, "ending_before": last.data[0].id})

    assert page_one.object == "list" and page_one.url == "/v1/accounts"
    assert [a.id for a in page_one.data] == newest_first[:2] and page_one.has_more
    assert [a.id for a in page_two.data] == newest_first[2:4] and page_two.has_more
    assert [a.id for a in last.data] == newest_first[4:] and not last.has_more
    assert [a.id for a in before.data] == newest_first[2:4]
    assert [a.id for a in sdk.v1.accounts.list().auto_paging_iter()] == newest_first


def test_stripe_account_header_hides_other_accounts_objects(sdk):
    mine = sdk.v1.accounts.create(params={"type": "express"})
    other = sdk.v1.accounts.create(params={"type": "express"})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.accounts.retrieve(other.id, options={"stripe_account": mine.id})

    assert raised.value.http_status == 404
    assert raised.value.error.code == "resource_missing"
    assert sdk.v1.accounts.retrieve(mine.id, options={"stripe_account": mine.id}).id == mine.id


def test_stripe_account_header_naming_an_unknown_account_is_refused(sdk):
    with pytest.raises(stripe.PermissionError) as raised:
        sdk.v1.events.list(options={"stripe_account": "acct_1Unknown"})

    assert raised.value.http_status == 403
    assert "does not have access to account 'acct_1Unknown'" in raised.value.user_message


def test_nested_form_params_are_decoded(sdk):
    account = sdk.v1.accounts.create(
        params={
            "type": "custom",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"seller": "42"},
            "business_profile": {"name": "Pat's Courses"},
        }
    )

    assert account.metadata.to_dict() == {"seller": "42"}
    assert account.business_profile.name == "Pat's Courses"
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
