"""Custom accounts filled in through the API, with Stripe's documented test values."""

import pytest
import stripe
from django.db import transaction

from stripe_sandbox import store
from stripe_sandbox.models import Event
from stripe_sandbox.resources.accounts import account_request_information
from stripe_sandbox.routers import SANDBOX_DATABASE

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PERSON = {
    "first_name": "Jenny",
    "last_name": "Rosen",
    "email": "jenny@example.com",
    "phone": "+12025550123",
    "dob": {"day": 1, "month": 1, "year": 1901},
    "address": {
        "line1": "address_full_match",
        "city": "Schenectady",
        "state": "NY",
        "postal_code": "12345",
    },
    "id_number": "000000000",
}
BANK = {
    "object": "bank_account",
    "country": "US",
    "currency": "usd",
    "routing_number": "110000000",
    "account_number": "000123456789",
}


def custom_account(sdk):
    return sdk.v1.accounts.create(
        params={
            "controller": {
                "stripe_dashboard": {"type": "none"},
                "requirement_collection": "application",
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
            },
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )


def update(sdk, account_id, **params):
    return sdk.v1.accounts.update(account_id, params=params)


def onboard(sdk, account_id, person=None, bank=None):
    update(sdk, account_id, business_type="individual")
    update(sdk, account_id, individual=person or PERSON)
    update(sdk, account_id, business_profile={"mcc": "8299", "url": "https://jenny.example"})
    update(sdk, account_id, external_account=bank or BANK)
    return update(
        sdk,
        account_id,
        tos_acceptance={"date": 1700000000, "ip": "203.0.113.9", "user_agent": "Browser/1"},
    )


def test_requirements_shrink_as_fields_arrive_until_charges_and_payouts_are_enabled(sdk):
    account = custom_account(sdk)
    assert account.charges_enabled is False
    assert "business_type" in account.requirements.currently_due
    assert "individual.first_name" not in account.requirements.currently_due

    typed = update(sdk, account.id, business_type="individual")
    assert "business_type" not in typed.requirements.currently_due
    assert "individual.id_number" in typed.requirements.currently_due
    assert "individual.dob.day" in typed.requirements.past_due

    person = update(sdk, account.id, individual=PERSON)
    assert not [f for f in person.requirements.currently_due if f.startswith("individual.")]
    assert person.individual.id_number_provided is True
    assert person.individual.verification.status == "verified"
    assert person.charges_enabled is False

    done = onboard(sdk, account.id)
    assert done.requirements.currently_due == []
    assert done.requirements.past_due == []
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (
        True,
        True,
        True,
    )
    assert done.capabilities.card_payments == "active"
    bank = done.external_accounts.data[0]
    assert (bank.last4, bank.routing_number, bank.default_for_currency) == (
        "6789",
        "110000000",
        True,
    )


def test_sensitive_numbers_are_not_returned(sdk):
    account = custom_account(sdk)
    done = onboard(sdk, account.id)
    text = str(done.to_dict())
    assert "000000000" not in text
    assert "000123456789" not in text


def test_a_failing_id_number_is_an_error_on_that_requirement_and_can_be_corrected(sdk):
    account = custom_account(sdk)
    failed = onboard(sdk, account.id, person={**PERSON, "id_number": "111111111"})

    assert failed.charges_enabled is False
    assert failed.requirements.currently_due == ["individual.id_number"]
    assert [(e.requirement, e.code) for e in failed.requirements.errors] == [
        ("individual.id_number", "verification_failed_id_number_match")
    ]
    assert failed.individual.verification.status == "unverified"

    fixed = update(sdk, account.id, individual={"id_number": "000000000"})
    assert fixed.requirements.errors == []
    assert fixed.charges_enabled is True


def test_a_failing_date_of_birth_and_address(sdk):
    account = custom_account(sdk)
    person = {
        **PERSON,
        "dob": {"day": 1, "month": 1, "year": 1902},
        "address": {**PERSON["address"], "line1": "address_no_match"},
    }
    failed = onboard(sdk, account.id, person=person)
    assert {e.requirement for e in failed.requirements.errors} == {
        "individual.dob.day",
        "individual.address.line1",
    }
    fixed = update(
        sdk,
        account.id,
        individual={
            "dob": {"day": 1, "month": 1, "year": 1901},
            "address": {"line1": "address_full_match"},
        },
    )
    assert fixed.charges_enabled is True


def test_only_test_bank_numbers_are_accepted(sdk):
    account = custom_account(sdk)
    with pytest.raises(stripe.InvalidRequestError) as error:
        update(sdk, account.id, external_account={**BANK, "account_number": "123456789"})
    assert error.value.param == "external_account[account_number]"
    assert error.value.code == "account_number_invalid"
    assert "123456789" not in str(error.value).replace("000123456789", "")
    with pytest.raises(stripe.InvalidRequestError) as error:
        update(sdk, account.id, external_account={**BANK, "routing_number": "12345"})
    assert error.value.param == "external_account[routing_number]"


def test_the_payout_failing_account_number_asks_for_another_bank_account(sdk):
    account = custom_account(sdk)
    failing = onboard(sdk, account.id, bank={**BANK, "account_number": "000111111116"})

    assert failing.charges_enabled is False
    assert failing.payouts_enabled is False
    assert failing.external_accounts.data[0].status == "errored"
    assert [e.requirement for e in failing.requirements.errors] == ["external_account"]

    new = sdk.v1.accounts.external_accounts.create(
        account.id, params={"external_account": BANK, "default_for_currency": True}
    )
    sdk.v1.accounts.external_accounts.delete(account.id, failing.external_accounts.data[0].id)
    fixed = sdk.v1.accounts.retrieve(account.id)
    assert [item.id for item in fixed.external_accounts.data] == [new.id]
    assert (fixed.charges_enabled, fixed.payouts_enabled) == (True, True)


def test_the_default_bank_account_of_the_default_currency_cannot_be_deleted(sdk):
    account = custom_account(sdk)
    done = onboard(sdk, account.id)
    with pytest.raises(stripe.InvalidRequestError, match="default bank account"):
        sdk.v1.accounts.external_accounts.delete(account.id, done.external_accounts.data[0].id)


def test_unknown_individual_parameters_are_refused_by_the_sdk_params(sdk):
    account = custom_account(sdk)
    with pytest.raises(stripe.InvalidRequestError, match=r"individual\[shoe_size\]"):
        update(sdk, account.id, individual={"shoe_size": "9"})


def test_each_change_sends_account_updated_to_the_connect_endpoint(sdk):
    account = custom_account(sdk)
    onboard(sdk, account.id)
    events = Event.objects.using(SANDBOX_DATABASE).filter(
        type="account.updated", account=account.id
    )
    assert events.count() == 5
    last = events.order_by("-created_at", "-id").first()
    assert last.data["data"]["object"]["charges_enabled"] is True


def test_information_requested_later_is_currently_due_until_given(sdk):
    account = custom_account(sdk)
    onboard(sdk, account.id)
    with transaction.atomic(using=SANDBOX_DATABASE):
        account_request_information(
            store.get_object("account", account.id), fields=["individual.id_number"]
        )

    asked = sdk.v1.accounts.retrieve(account.id)
    assert asked.requirements.currently_due == ["individual.id_number"]
    assert asked.requirements.past_due == []
    assert asked.requirements.current_deadline is not None
    assert asked.charges_enabled is True

    given = update(sdk, account.id, individual={"id_number": "000000000"})
    assert given.requirements.currently_due == []


def test_the_inspector_asks_a_custom_account_for_more_information(sdk, sandbox_url):
    import requests

    account = custom_account(sdk)
    onboard(sdk, account.id)
    browser = requests.Session()
    page = browser.get(f"{sandbox_url}/", timeout=10)
    assert "Identity document" in page.text
    answer = browser.post(
        f"{sandbox_url}/accounts/{account.id}/request-information/",
        data={"what": "document", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{sandbox_url}/"},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    asked = sdk.v1.accounts.retrieve(account.id)
    assert asked.requirements.currently_due == ["individual.verification.document"]
