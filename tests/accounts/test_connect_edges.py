"""Connect's edges: when an OAuth state stops working, which states a session keeps, what the
connect link carries, what Stripe is asked when a Custom seller changes bank account or answers
an onboarding step, and the words a seller reads when a connection is refused."""

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import StripeAccount
from accounts.services import (
    StripeConnectRefused,
    connect_oauth_state_consume,
    connect_oauth_state_issue,
    custom_bank_account_replace,
    custom_onboarding_submit,
    stripe_account_connect_standard,
    stripe_account_oauth_url,
    stripe_account_start_onboarding,
)
from accounts.stripe_connect import BankAccount, CustomAccountDetails
from site_config.stripe_client import StripeErrorCode, StripeGatewayError
from tests.accounts.factories import StripeAccountFactory
from tests.accounts.gateway import called, connected, recorded_gateway

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
        account=connected(ACCOUNT_ID, "custom"),
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
    return recorded_gateway(
        monkeypatch,
        {
            "account_custom_retrieve": custom_details(bank("ba_old")),
            "account_bank_account_create": bank(NEW),
            "account_bank_account_delete": None,
        },
    )


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


# --- Custom accounts: what each onboarding step sends Stripe -------------------------------------


@pytest.fixture
def step_gateway(monkeypatch):
    details = custom_details(bank("ba_old"))
    return recorded_gateway(
        monkeypatch, {"account_custom_retrieve": details, "account_custom_update": details}
    )


def submit_step(seller, step: str, values: dict, user_agent: str = "Firefox") -> None:
    custom_onboarding_submit(
        seller=seller,
        step=step,
        values=values,
        submission="sub-1",
        client_ip="203.0.113.7",
        user_agent=user_agent,
    )


def sent_params(gateway) -> list[dict]:
    return [kwargs["params"] for kwargs in called(gateway, "account_custom_update")]


def test_the_person_step_sends_every_answer_including_the_last_4_ssn_digits_and_line2(
    custom_seller, step_gateway
):
    submit_step(
        custom_seller,
        "person",
        {
            "first_name": "Sally",
            "last_name": "Seller",
            "email": "sally@test.example",
            "phone": "+12025550123",
            "id_number": "",  # not asked: only the last 4 digits are due
            "ssn_last_4": "0000",
            "dob": date(1990, 7, 14),
            "address_line1": "1 Main St",
            "address_line2": "Apt 4",
            "address_city": "Schenectady",
            "address_state": "NY",
            "address_postal_code": "12345",
        },
    )

    assert sent_params(step_gateway) == [
        {
            "individual": {
                "first_name": "Sally",
                "last_name": "Seller",
                "email": "sally@test.example",
                "phone": "+12025550123",
                "ssn_last_4": "0000",
                "dob": {"day": 14, "month": 7, "year": 1990},
                "address": {
                    "line1": "1 Main St",
                    "line2": "Apt 4",
                    "city": "Schenectady",
                    "state": "NY",
                    "postal_code": "12345",
                    "country": "US",
                },
            }
        }
    ]


def test_the_business_step_sends_the_description_of_what_the_seller_sells(
    custom_seller, step_gateway
):
    # Stripe takes a description instead of a website (requirements.alternatives).
    submit_step(
        custom_seller,
        "business",
        {"mcc": "8299", "url": "", "product_description": "Online cooking courses"},
    )

    assert sent_params(step_gateway) == [
        {"business_profile": {"mcc": "8299", "product_description": "Online cooking courses"}}
    ]


def test_the_bank_step_sends_an_individuals_bank_account(custom_seller, step_gateway):
    submit_step(custom_seller, "bank", BANK_FORM)

    assert sent_params(step_gateway) == [
        {
            "external_account": {
                "object": "bank_account",
                "country": "US",
                "account_holder_name": "Sally Seller",
                "account_holder_type": "individual",
                "routing_number": "110000000",
                "account_number": "000123456789",
            }
        }
    ]


def test_the_terms_step_records_when_where_and_a_user_agent_cut_to_500_characters(
    custom_seller, step_gateway, clock
):
    # A User-Agent header has no length limit; Stripe is sent its first 500 characters.
    user_agent = "Mozilla/5.0 " + "x" * 600

    submit_step(custom_seller, "terms", {"accept": True}, user_agent=user_agent)

    assert sent_params(step_gateway) == [
        {"tos_acceptance": {"date": int(T0), "ip": "203.0.113.7", "user_agent": user_agent[:500]}}
    ]


def test_an_unknown_step_reaches_stripe_with_nothing_and_names_the_step(
    custom_seller, step_gateway
):
    with pytest.raises(ValueError) as raised:
        submit_step(custom_seller, "payouts", {"schedule": "daily"})

    assert str(raised.value) == "Unknown onboarding step 'payouts'"
    assert called(step_gateway, "account_custom_update") == []


def test_a_requirement_another_field_may_answer_asks_for_that_field(
    client, custom_seller, step_gateway
):
    # Stripe accepts the full ID number instead of the last 4 digits of the SSN.
    step_gateway.answers["account_custom_retrieve"] = dataclasses.replace(
        custom_details(bank("ba_old")),
        currently_due=("individual.ssn_last_4",),
        alternatives={"individual.ssn_last_4": ("individual.id_number",)},
    )
    client.force_login(custom_seller)

    response = client.get(reverse("accounts:custom-onboarding"))

    assert response.url == reverse("accounts:custom-onboarding-step", kwargs={"step": "person"})
    page = client.get(response.url).content.decode()
    assert 'name="ssn_last_4"' in page and 'name="id_number"' in page
    assert 'name="first_name"' not in page


# --- Refusals, in the words the seller reads --------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


LINKED_ELSEWHERE = (
    "That Stripe account is already linked to another seller on this marketplace, "
    "so it was not connected. Use a different Stripe account."
)
# The words when another seller's request wins the race to the database itself.
LINKED_ELSEWHERE_MEANWHILE = (
    "That Stripe account is already linked to another seller on this marketplace."
)


@pytest.fixture
def connect_gateway(monkeypatch):
    return recorded_gateway(
        monkeypatch,
        {
            "oauth_token_exchange": "acct_1Std",
            "account_retrieve": connected("acct_1Std"),
            "account_create": connected(
                "acct_1Exp", "express", ready=False, due=["external_account"]
            ),
            "account_onboarding_link_create": "https://onboard.test/link",
        },
    )


def test_only_express_or_custom_accounts_are_created(seller, connect_gateway):
    with pytest.raises(StripeConnectRefused) as raised:
        stripe_account_start_onboarding(seller=seller, account_type="standard")

    assert raised.value.user_message == "Choose an Express or a Custom account."
    assert connect_gateway.calls == []


def test_a_new_account_is_created_with_the_sellers_email_and_name(seller, connect_gateway):
    stripe_account_start_onboarding(seller=seller, account_type="express")

    # The email prefills Stripe's onboarding and is where Stripe writes to the seller.
    assert called(connect_gateway, "account_create") == [
        {
            "account_type": "express",
            "email": "seller@test.example",
            "business_name": seller.display_name,
            "seller_id": seller.pk,
            "idempotency_key": f"seller-{seller.pk}-connect-account-first",
        }
    ]


def test_a_seller_whose_selling_rights_went_is_told_how_to_get_them_back(buyer, connect_gateway):
    # The views stop a buyer first; this is a seller whose rights were withdrawn meanwhile.
    with pytest.raises(StripeConnectRefused) as raised:
        stripe_account_start_onboarding(seller=buyer, account_type="express")

    assert raised.value.user_message == (
        "Only sellers can connect a Stripe account. Ask an administrator for selling rights."
    )
    assert connect_gateway.calls == []


def test_a_connected_seller_is_told_which_account_to_disconnect_first(client, connected_seller):
    client.force_login(connected_seller)
    account_id = connected_seller.stripe_account.stripe_account_id

    response = client.get(reverse("accounts:connect-authorize"))

    assert response.url == reverse("accounts:account")
    assert messages_of(response) == [
        f"Your Stripe account {account_id} is already connected. "
        "Disconnect it first to connect another one."
    ]


def connect_with_stripe(client) -> str:
    """Follow "Connect with Stripe" and come back with the state Stripe would echo."""
    response = client.get(reverse("accounts:connect-authorize"))
    return parse_qs(urlsplit(response.url).query)["state"][0]


def test_an_account_linked_to_another_seller_is_refused_on_return_from_stripe(
    client, seller, connect_gateway
):
    StripeAccountFactory(stripe_account_id="acct_1Std")
    client.force_login(seller)
    state = connect_with_stripe(client)

    response = client.get(
        reverse("accounts:connect-oauth-callback"), {"state": state, "code": "ac_1"}
    )

    assert messages_of(response) == [LINKED_ELSEWHERE]
    assert not StripeAccount.objects.filter(seller=seller).exists()
    # Refused before anything of that account is read from Stripe.
    assert called(connect_gateway, "account_retrieve") == []


def test_an_account_another_seller_links_while_it_is_read_from_stripe_is_refused(
    seller, connect_gateway, monkeypatch
):
    def another_seller_links_it_meanwhile(**kwargs):
        StripeAccountFactory(stripe_account_id="acct_1Std")
        return connect_gateway.answers["account_retrieve"]

    monkeypatch.setattr(services, "account_retrieve", another_seller_links_it_meanwhile)

    with pytest.raises(StripeConnectRefused) as raised:
        stripe_account_connect_standard(seller=seller, code="ac_1")

    # Checked again under the seller's lock, so the seller reads the full explanation.
    assert raised.value.user_message == LINKED_ELSEWHERE
    assert not StripeAccount.objects.filter(seller=seller).exists()


def test_an_account_linked_elsewhere_between_the_check_and_the_write_is_refused(
    client, seller, connect_gateway
):
    def another_seller_writes_first(sender, instance, **kwargs):
        # Another seller's request commits the same account id just before this row is written.
        if instance.pk is None and instance.seller_id == seller.pk:
            StripeAccountFactory(stripe_account_id=instance.stripe_account_id)

    pre_save.connect(another_seller_writes_first, sender=StripeAccount)
    try:
        client.force_login(seller)
        response = client.post(reverse("accounts:connect-onboard"), {"account_type": "express"})
    finally:
        pre_save.disconnect(another_seller_writes_first, sender=StripeAccount)

    assert response.url == reverse("accounts:account")
    assert messages_of(response) == [LINKED_ELSEWHERE_MEANWHILE]
    assert not StripeAccount.objects.filter(seller=seller).exists()


@pytest.mark.parametrize("account", ["none", "standard"])
def test_the_custom_form_tells_a_seller_without_a_custom_account_to_create_one(
    client, seller, step_gateway, account
):
    if account == "standard":
        StripeAccountFactory(seller=seller)
    client.force_login(seller)

    response = client.get(reverse("accounts:custom-onboarding"))

    assert response.url == reverse("accounts:account")
    assert messages_of(response) == ["There is no Custom account to set up. Create one first."]
    assert step_gateway.calls == []


# --- Reconnecting -------------------------------------------------------------------------------


def test_reconnecting_the_same_account_after_a_disconnect_starts_a_new_connection(
    seller, connect_gateway
):
    old = StripeAccountFactory(
        seller=seller,
        stripe_account_id="acct_1Std",
        connected_at=datetime(2026, 1, 1, tzinfo=UTC),
        disconnected_at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    before = timezone.now()

    stripe_account = stripe_account_connect_standard(seller=seller, code="ac_1")

    assert stripe_account.pk == old.pk
    # Connected since now, not since the first connection that ended in February.
    assert stripe_account.connected_at >= before
    assert stripe_account.disconnected_at is None


def test_a_racing_double_submit_keeps_the_time_the_account_was_first_connected(
    seller, connect_gateway, monkeypatch
):
    first_connected = timezone.now() - timedelta(seconds=1)

    def the_other_click_stores_it_first(**kwargs):
        StripeAccount.objects.create(
            seller=seller,
            stripe_account_id="acct_1Exp",
            account_type="express",
            connected_at=first_connected,
        )
        return connect_gateway.answers["account_create"]

    monkeypatch.setattr(services, "account_create", the_other_click_stores_it_first)

    stripe_account_start_onboarding(seller=seller, account_type="express")

    assert StripeAccount.objects.get(seller=seller).connected_at == first_connected


def test_each_reconnect_after_a_disconnect_asks_stripe_for_a_new_account(seller, connect_gateway):
    # Stripe replays a create for a key it has seen (for 24 hours): a key that did not change
    # after the second disconnect would hand back the account disconnected earlier.
    disconnects = [datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 1, 15, tzinfo=UTC)]
    stripe_account = StripeAccountFactory(seller=seller, stripe_account_id="acct_1Gone")
    for index, moment in enumerate(disconnects):
        StripeAccount.objects.filter(pk=stripe_account.pk).update(disconnected_at=moment)
        connect_gateway.answers["account_create"] = dataclasses.replace(
            connect_gateway.answers["account_create"], id=f"acct_1Exp{index}"
        )
        stripe_account_start_onboarding(seller=seller, account_type="express")

    keys = [kwargs["idempotency_key"] for kwargs in called(connect_gateway, "account_create")]
    assert keys == [
        f"seller-{seller.pk}-connect-account-{int(moment.timestamp())}" for moment in disconnects
    ]
