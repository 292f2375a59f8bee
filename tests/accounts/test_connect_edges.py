"""Connect's edges: when an OAuth state stops working, which states a session keeps, what the
connect link carries, and what Stripe is asked when a Custom seller changes bank account."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore

from accounts import services
from accounts.services import (
    connect_oauth_state_consume,
    connect_oauth_state_issue,
    custom_bank_account_replace,
    stripe_account_oauth_url,
)
from accounts.stripe_connect import BankAccount, ConnectedAccount, CustomAccountDetails
from site_config.stripe_client import StripeErrorCode, StripeGatewayError
from tests.accounts.factories import StripeAccountFactory

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000.0
LIFETIME = services.OAUTH_STATE_LIFETIME.total_seconds()


@pytest.fixture
def clock(monkeypatch):
    """A frozen `time.time`; set `clock.now` to move it."""

    class Clock:
        now = T0

    monkeypatch.setattr(services.time, "time", lambda: Clock.now)
    return Clock


def kept_states(session) -> set[str]:
    return set(session[services.OAUTH_STATE_SESSION_KEY])


# --- OAuth state --------------------------------------------------------------------------------


def test_a_state_works_until_the_instant_its_lifetime_ends(seller, clock):
    early, late = SessionStore(), SessionStore()
    early_state = connect_oauth_state_issue(session=early, user=seller)
    late_state = connect_oauth_state_issue(session=late, user=seller)

    clock.now = T0 + LIFETIME - 0.001
    assert connect_oauth_state_consume(session=early, user=seller, state=early_state)
    # "Expires at" means no longer valid at that instant.
    clock.now = T0 + LIFETIME
    assert not connect_oauth_state_consume(session=late, user=seller, state=late_state)


def test_issuing_a_state_drops_one_that_expires_that_very_instant(seller, clock):
    session = SessionStore()
    first = connect_oauth_state_issue(session=session, user=seller)
    clock.now = T0 + LIFETIME - 0.001
    second = connect_oauth_state_issue(session=session, user=seller)
    assert kept_states(session) == {first, second}

    clock.now = T0 + LIFETIME
    third = connect_oauth_state_issue(session=session, user=seller)

    # A dead state is not carried in the seller's session any longer than it has to be.
    assert kept_states(session) == {second, third}


def test_a_state_is_32_random_bytes_in_url_safe_characters(seller):
    session = SessionStore()
    states = {connect_oauth_state_issue(session=session, user=seller) for _ in range(3)}

    # 256 bits cannot be guessed; base64url of 32 bytes is 43 characters with no padding,
    # safe in the query string Stripe sends back.
    assert len(states) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", state) for state in states)


def test_the_oldest_pending_state_is_the_one_dropped(seller, clock):
    # Earlier tabs' states, named so that their alphabetical order is the reverse of their age:
    # only their expiry may decide which one goes.
    session = SessionStore()
    earlier = [f"state-{letter}" for letter in "edcba"]  # oldest first
    session[services.OAUTH_STATE_SESSION_KEY] = {
        state: {"user": seller.pk, "expires": T0 + 60 + index}
        for index, state in enumerate(earlier)
    }

    newest = connect_oauth_state_issue(session=session, user=seller)

    assert kept_states(session) == {*earlier[1:], newest}
    assert not connect_oauth_state_consume(session=session, user=seller, state="state-e")
    assert connect_oauth_state_consume(session=session, user=seller, state="state-d")
    assert connect_oauth_state_consume(session=session, user=seller, state=newest)


def test_the_connect_link_prefills_the_sellers_email_on_stripes_sign_up_form(seller):
    session = SessionStore()

    url = stripe_account_oauth_url(seller=seller, session=session)

    query = parse_qs(urlsplit(url).query)
    assert query["stripe_user[email]"] == ["seller@test.example"]
    assert query["state"] == [*kept_states(session)]


# --- Custom accounts: changing the payout bank account -------------------------------------------

ACCOUNT_ID = "acct_1Bank"
NEW = "ba_new"


def bank(bank_id: str, currency: str = "usd") -> BankAccount:
    return BankAccount(
        id=bank_id,
        bank_name="STRIPE TEST BANK",
        last4="6789",
        country="US",
        currency=currency,
        default_for_currency=True,
        errored=False,
    )


def custom_details(*banks: BankAccount, default_currency: str = "usd") -> CustomAccountDetails:
    return CustomAccountDetails(
        account=ConnectedAccount(
            id=ACCOUNT_ID,
            account_type="custom",
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
            requirements_due=(),
        ),
        country="US",
        default_currency=default_currency,
        business_type="individual",
        currently_due=(),
        eventually_due=(),
        past_due=(),
        future_due=(),
        alternatives={},
        errors=(),
        current_deadline=None,
        first_name="Sally",
        last_name="Seller",
        email="seller@test.example",
        phone="",
        address={},
        dob_provided=True,
        id_number_provided=True,
        ssn_last_4_provided=False,
        mcc="8299",
        url="",
        product_description="",
        tos_accepted=True,
        bank_accounts=banks,
    )


BANK_FORM = {
    "account_holder_name": "Sally Seller",
    "routing_number": "110000000",
    "account_number": "000123456789",
}


@pytest.fixture
def bank_gateway(monkeypatch):
    """The Custom account's gateway functions, recorded; `answers` says what Stripe returns."""
    calls: list[tuple[str, dict]] = []
    answers: dict = {
        "account_custom_retrieve": custom_details(bank("ba_old")),
        "account_bank_account_create": bank(NEW),
        "account_bank_account_delete": None,
    }

    def fake(name):
        def call(**kwargs):
            calls.append((name, kwargs))
            answer = answers[name]
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call

    for name in answers:
        monkeypatch.setattr(services, name, fake(name))
    return type("Gateway", (), {"calls": calls, "answers": answers})


@pytest.fixture
def custom_seller(db):
    return StripeAccountFactory(stripe_account_id=ACCOUNT_ID, account_type="custom").seller


def removed(gateway) -> list[str]:
    return [
        kwargs["bank_account_id"]
        for name, kwargs in gateway.calls
        if name == "account_bank_account_delete"
    ]


def test_the_new_bank_account_reaches_stripe_as_the_seller_entered_it(custom_seller, bank_gateway):
    bank_gateway.answers["account_custom_retrieve"] = custom_details(
        bank("ba_old", "cad"), default_currency="cad"
    )
    bank_gateway.answers["account_bank_account_create"] = bank(NEW, "cad")

    custom_bank_account_replace(seller=custom_seller, values=BANK_FORM, submission="sub-1")

    created = [
        kwargs for name, kwargs in bank_gateway.calls if name == "account_bank_account_create"
    ]
    # Payouts are in the account's default currency; the key makes a double submit one account.
    assert created == [
        {
            "stripe_account_id": ACCOUNT_ID,
            "country": "US",
            "currency": "cad",
            "routing_number": "110000000",
            "account_number": "000123456789",
            "account_holder_name": "Sally Seller",
            "idempotency_key": f"bank-account-{ACCOUNT_ID}-sub-1",
        }
    ]


def test_only_the_old_bank_accounts_in_the_new_ones_currency_are_removed(
    custom_seller, bank_gateway
):
    # A euro account listed first must neither be removed nor stop the removal of the others.
    bank_gateway.answers["account_custom_retrieve"] = custom_details(
        bank("ba_eur", "eur"), bank("ba_old"), bank("ba_older")
    )

    custom_bank_account_replace(seller=custom_seller, values=BANK_FORM, submission="sub-1")

    assert removed(bank_gateway) == ["ba_old", "ba_older"]


def test_a_repeated_submit_never_removes_the_bank_account_it_added(custom_seller, bank_gateway):
    # Stripe replays the create for the same idempotency key, so the account already lists it.
    bank_gateway.answers["account_custom_retrieve"] = custom_details(bank(NEW), bank("ba_old"))

    custom_bank_account_replace(seller=custom_seller, values=BANK_FORM, submission="sub-1")

    assert removed(bank_gateway) == ["ba_old"]


def test_an_old_bank_account_already_removed_by_an_earlier_submit_is_no_error(
    custom_seller, bank_gateway
):
    bank_gateway.answers["account_custom_retrieve"] = custom_details(bank("ba_old"), bank("ba_2"))
    bank_gateway.answers["account_bank_account_delete"] = StripeGatewayError(
        "gone", code=StripeErrorCode.RESOURCE_MISSING
    )

    onboarding = custom_bank_account_replace(
        seller=custom_seller, values=BANK_FORM, submission="sub-1"
    )

    assert removed(bank_gateway) == ["ba_old", "ba_2"]
    assert onboarding.stripe_account.stripe_account_id == ACCOUNT_ID


def test_an_old_bank_account_stripe_could_not_remove_is_reported(custom_seller, bank_gateway):
    # Otherwise the seller would be told payouts moved while the old account stays on Stripe.
    failure = StripeGatewayError("Stripe is unreachable.", code=StripeErrorCode.UNREACHABLE)
    bank_gateway.answers["account_bank_account_delete"] = failure

    with pytest.raises(StripeGatewayError) as raised:
        custom_bank_account_replace(seller=custom_seller, values=BANK_FORM, submission="sub-1")

    assert raised.value is failure
