"""Connect services, with the gateway functions patched (never `stripe.*`)."""

import logging
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts import services
from accounts.models import StripeAccount, User
from accounts.services import (
    StripeConnectRefused,
    connect_oauth_state_consume,
    connect_oauth_state_issue,
    stripe_account_connect_standard,
    stripe_account_dashboard_link,
    stripe_account_disconnect,
    stripe_account_disconnect_for_seller,
    stripe_account_onboarding_link,
    stripe_account_refresh,
    stripe_account_refresh_if_stale,
    stripe_account_start_onboarding,
    user_update_profile,
)
from catalog.selectors import course_sale_blocker
from site_config.stripe_client import StripeErrorCode, StripeGatewayError
from tests.accounts.factories import StripeAccountFactory
from tests.accounts.gateway import called, connected, recorded_gateway
from tests.catalog.factories import CourseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(monkeypatch):
    """Record calls to the gateway functions the services use and answer with canned results."""
    answers: dict = {
        "oauth_token_exchange": "acct_1Svc",
        "account_retrieve": connected(),
        "account_create": connected("acct_1New", "express", ready=False, due=["external_account"]),
        "account_onboarding_link_create": "https://onboard.test/link",
        "oauth_deauthorize": None,
        "login_link_create": "https://dashboard.test/",
    }
    return recorded_gateway(monkeypatch, answers)


# --- OAuth state --------------------------------------------------------------------------------


def test_state_is_accepted_once(seller):
    session = SessionStore()
    state = connect_oauth_state_issue(session=session, user=seller)

    assert connect_oauth_state_consume(session=session, user=seller, state=state)
    assert not connect_oauth_state_consume(session=session, user=seller, state=state)


def test_state_with_unexpected_characters_is_simply_refused(seller):
    session = SessionStore()
    connect_oauth_state_issue(session=session, user=seller)

    assert not connect_oauth_state_consume(session=session, user=seller, state="état-forgé")


def test_state_issued_to_another_user_is_refused(seller, buyer):
    session = SessionStore()
    state = connect_oauth_state_issue(session=session, user=buyer)

    assert not connect_oauth_state_consume(session=session, user=seller, state=state)


def test_two_tabs_each_get_a_working_state(seller):
    session = SessionStore()
    first = connect_oauth_state_issue(session=session, user=seller)
    second = connect_oauth_state_issue(session=session, user=seller)

    assert connect_oauth_state_consume(session=session, user=seller, state=second)
    assert connect_oauth_state_consume(session=session, user=seller, state=first)


def test_session_keeps_only_a_few_pending_states(seller):
    session = SessionStore()
    states = [connect_oauth_state_issue(session=session, user=seller) for _ in range(8)]

    assert len(session[services.OAUTH_STATE_SESSION_KEY]) == services.OAUTH_STATES_KEPT
    assert connect_oauth_state_consume(session=session, user=seller, state=states[-1])


# --- Standard accounts --------------------------------------------------------------------------


def test_connect_standard_stores_what_stripe_reports(seller, gateway):
    gateway.answers["account_retrieve"] = connected(ready=False, due=["external_account"])

    stripe_account = stripe_account_connect_standard(seller=seller, code="ac_1")

    assert called(gateway, "oauth_token_exchange") == [{"code": "ac_1"}]
    assert stripe_account.stripe_account_id == "acct_1Svc"
    assert stripe_account.account_type == "standard"
    assert stripe_account.requirements_due == ["external_account"]
    assert stripe_account.is_onboarding_pending


def test_connect_standard_keeps_the_link_when_the_status_read_fails(seller, gateway, caplog):
    gateway.answers["account_retrieve"] = StripeGatewayError(
        "down", code=StripeErrorCode.UNREACHABLE
    )

    with caplog.at_level(logging.WARNING, logger="accounts.services"):
        stripe_account = stripe_account_connect_standard(seller=seller, code="ac_1")

    assert stripe_account.stripe_account_id == "acct_1Svc"
    # Nothing is known yet, so the card says nothing is ready until Stripe is read again.
    assert (
        stripe_account.charges_enabled,
        stripe_account.payouts_enabled,
        stripe_account.details_submitted,
    ) == (False, False, False)
    assert caplog.messages == ["Connected acct_1Svc but could not read it yet."]


def test_reconnecting_the_same_standard_account_after_a_disconnect_is_allowed(seller, gateway):
    StripeAccountFactory(seller=seller, stripe_account_id="acct_1Svc")
    stripe_account_disconnect(stripe_account_id="acct_1Svc")

    stripe_account = stripe_account_connect_standard(seller=seller, code="ac_1")

    assert (stripe_account.stripe_account_id, stripe_account.is_connected) == ("acct_1Svc", True)


def test_reconnecting_after_a_disconnect_reuses_the_sellers_row(seller, gateway):
    old = StripeAccountFactory(seller=seller, stripe_account_id="acct_1Old")
    stripe_account_disconnect(stripe_account_id="acct_1Old")

    stripe_account = stripe_account_connect_standard(seller=seller, code="ac_1")

    assert stripe_account.pk == old.pk
    assert stripe_account.stripe_account_id == "acct_1Svc"
    assert stripe_account.is_connected
    assert stripe_account.connected_at > old.connected_at


def test_an_account_linked_to_another_seller_is_refused(seller, gateway):
    StripeAccountFactory(stripe_account_id="acct_1Svc")

    with pytest.raises(StripeConnectRefused, match="another seller"):
        stripe_account_connect_standard(seller=seller, code="ac_1")

    assert not StripeAccount.objects.filter(seller=seller).exists()
    # Refused before anything of that account is read from Stripe.
    assert called(gateway, "account_retrieve") == []


def test_a_buyer_cannot_connect(buyer, gateway):
    with pytest.raises(StripeConnectRefused, match="Only sellers"):
        stripe_account_connect_standard(seller=buyer, code="ac_1")

    assert gateway.calls == []


# --- Express and Custom -------------------------------------------------------------------------


def test_onboarding_creates_once_and_links_every_time(seller, gateway):
    first = stripe_account_start_onboarding(seller=seller, account_type="express")
    second = stripe_account_start_onboarding(seller=seller, account_type="express")

    assert first == second == "https://onboard.test/link"
    assert len(called(gateway, "account_create")) == 1
    assert called(gateway, "account_create")[0]["business_name"] == seller.display_name
    assert len(called(gateway, "account_onboarding_link_create")) == 2
    assert StripeAccount.objects.get(seller=seller).stripe_account_id == "acct_1New"


def test_idempotency_key_is_stable_until_a_disconnect(seller, gateway):
    stripe_account_start_onboarding(seller=seller, account_type="express")
    stripe_account_disconnect(stripe_account_id="acct_1New")
    gateway.answers["account_create"] = connected("acct_1Newer", "custom", ready=False)
    stripe_account_start_onboarding(seller=seller, account_type="custom")

    keys = [kwargs["idempotency_key"] for kwargs in called(gateway, "account_create")]
    assert keys[0] == f"seller-{seller.pk}-connect-account-first"
    assert keys[1] != keys[0] and keys[1].startswith(f"seller-{seller.pk}-connect-account-")
    assert StripeAccount.objects.get(seller=seller).stripe_account_id == "acct_1Newer"


def test_racing_double_submit_stores_one_account(seller, gateway, monkeypatch):
    def create_while_the_other_request_stores(**kwargs):
        # The other click, with the same idempotency key, got the same account from Stripe and
        # stored it between this request's "no account yet" check and its own write.
        StripeAccount.objects.create(
            seller=seller, stripe_account_id="acct_1New", account_type="express"
        )
        return connected("acct_1New", "express", ready=False)

    monkeypatch.setattr(services, "account_create", create_while_the_other_request_stores)

    url = stripe_account_start_onboarding(seller=seller, account_type="express")

    assert url == "https://onboard.test/link"
    assert StripeAccount.objects.get(seller=seller).stripe_account_id == "acct_1New"


def test_standard_seller_cannot_start_express_onboarding(connected_seller, gateway):
    with pytest.raises(StripeConnectRefused, match="already connected"):
        stripe_account_start_onboarding(seller=connected_seller, account_type="express")

    assert gateway.calls == []


# --- Refresh (account.updated) ------------------------------------------------------------------


def test_refresh_mirrors_the_account(gateway):
    stripe_account = StripeAccountFactory(
        stripe_account_id="acct_1Svc", charges_enabled=False, details_submitted=False
    )
    gateway.answers["account_retrieve"] = connected(due=["individual.dob.day"])

    refreshed = stripe_account_refresh(stripe_account_id="acct_1Svc")

    assert refreshed.pk == stripe_account.pk
    assert refreshed.charges_enabled and refreshed.details_submitted
    assert refreshed.requirements_due == ["individual.dob.day"]
    assert StripeAccount.objects.get(pk=stripe_account.pk).charges_enabled


def _pending_updated(moment):
    stripe_account = StripeAccountFactory(
        stripe_account_id="acct_1Svc", charges_enabled=False, details_submitted=False
    )
    StripeAccount.objects.filter(pk=stripe_account.pk).update(updated_at=moment)
    return StripeAccount.objects.get(pk=stripe_account.pk)


@pytest.mark.parametrize(("age_seconds", "refreshed"), [(9, False), (10, True)])
def test_a_pending_account_is_refreshed_once_its_copy_is_max_age_old(
    gateway, monkeypatch, age_seconds, refreshed
):
    now = timezone.now()
    monkeypatch.setattr(services.timezone, "now", lambda: now)
    stripe_account = _pending_updated(now - timedelta(seconds=age_seconds))

    result = stripe_account_refresh_if_stale(
        stripe_account=stripe_account, max_age=timedelta(seconds=10)
    )

    assert [name for name, _ in gateway.calls] == (["account_retrieve"] if refreshed else [])
    # What is returned is what Stripe said, not the copy that was passed in.
    assert result.charges_enabled is refreshed


def test_a_failed_stale_refresh_keeps_the_card_as_it_was(gateway):
    stripe_account = _pending_updated(timezone.now() - timedelta(minutes=5))
    gateway.answers["account_retrieve"] = StripeGatewayError(
        "down", code=StripeErrorCode.UNREACHABLE
    )

    result = stripe_account_refresh_if_stale(
        stripe_account=stripe_account, max_age=timedelta(seconds=10)
    )

    assert result is stripe_account


def test_refresh_of_an_unknown_account_is_ignored(gateway):
    assert stripe_account_refresh(stripe_account_id="acct_1Stranger") is None
    assert gateway.calls == []


def test_refresh_of_an_account_stripe_no_longer_shows_keeps_the_row(gateway, caplog):
    StripeAccountFactory(stripe_account_id="acct_1Svc")
    gateway.answers["account_retrieve"] = StripeGatewayError(
        "gone", code=StripeErrorCode.ACCOUNT_INVALID
    )

    stripe_account = stripe_account_refresh(stripe_account_id="acct_1Svc")

    assert stripe_account.charges_enabled
    # The operator reads which account and why in the log.
    assert caplog.messages == ["Cannot read acct_1Svc any more (account_invalid)."]


def test_refresh_raises_when_stripe_is_down_so_the_webhook_is_retried(gateway):
    StripeAccountFactory(stripe_account_id="acct_1Svc")
    gateway.answers["account_retrieve"] = StripeGatewayError(
        "down", code=StripeErrorCode.UNREACHABLE
    )

    with pytest.raises(StripeGatewayError):
        stripe_account_refresh(stripe_account_id="acct_1Svc")


# --- Disconnect -------------------------------------------------------------------------------


def test_disconnect_keeps_courses_and_stops_sales():
    stripe_account = StripeAccountFactory(stripe_account_id="acct_1Svc")
    course = CourseFactory(seller=stripe_account.seller, is_published=True)

    disconnected = stripe_account_disconnect(stripe_account_id="acct_1Svc")

    assert disconnected.disconnected_at is not None
    course.refresh_from_db()
    assert course.is_published
    assert course_sale_blocker(course=course) == (
        "The Stripe account was disconnected. Connect it again to sell."
    )


def test_disconnect_twice_keeps_the_first_time():
    StripeAccountFactory(stripe_account_id="acct_1Svc")
    first = stripe_account_disconnect(stripe_account_id="acct_1Svc").disconnected_at

    again = stripe_account_disconnect(stripe_account_id="acct_1Svc")

    assert again.disconnected_at == first


def test_disconnect_of_an_unknown_account_is_ignored(db):
    assert stripe_account_disconnect(stripe_account_id="acct_1Stranger") is None


def test_seller_disconnecting_standard_revokes_access_first(gateway):
    stripe_account = StripeAccountFactory(stripe_account_id="acct_1Svc")

    stripe_account_disconnect_for_seller(seller=stripe_account.seller)

    assert called(gateway, "oauth_deauthorize") == [{"stripe_account_id": "acct_1Svc"}]
    stripe_account.refresh_from_db()
    assert not stripe_account.is_connected


def test_seller_disconnecting_express_only_unlinks_it(gateway):
    stripe_account = StripeAccountFactory(account_type="express")

    stripe_account_disconnect_for_seller(seller=stripe_account.seller)

    assert called(gateway, "oauth_deauthorize") == []
    stripe_account.refresh_from_db()
    assert not stripe_account.is_connected


# --- What a seller without the right account is told ---------------------------------------------


@pytest.mark.parametrize(
    ("account_type", "action", "refusal"),
    [
        (None, stripe_account_onboarding_link, "There is no Express or Custom account to onboard."),
        (
            "standard",
            stripe_account_onboarding_link,
            "There is no Express or Custom account to onboard.",
        ),
        (
            "custom",
            stripe_account_dashboard_link,
            "Only Express accounts have a Stripe dashboard link here.",
        ),
        (
            None,
            stripe_account_disconnect_for_seller,
            "There is no connected Stripe account to disconnect.",
        ),
    ],
)
def test_an_action_for_an_account_the_seller_does_not_have_is_refused_in_words(
    seller, gateway, account_type, action, refusal
):
    if account_type is not None:
        StripeAccountFactory(seller=seller, account_type=account_type)

    with pytest.raises(StripeConnectRefused) as refused:
        action(seller=seller)

    assert str(refused.value) == refusal
    assert gateway.calls == []


def test_saving_a_profile_never_undoes_a_password_changed_meanwhile(seller):
    # The profile form holds the user as the request read it; another tab changes the password.
    stale = User.objects.get(pk=seller.pk)
    changed = User.objects.get(pk=seller.pk)
    changed.set_password("a new long passphrase")
    changed.save()

    user_update_profile(user=stale, full_name="  Sally Q. Seller ", time_zone="Asia/Tokyo")

    saved = User.objects.get(pk=seller.pk)
    assert (saved.full_name, saved.time_zone) == ("Sally Q. Seller", "Asia/Tokyo")
    assert saved.check_password("a new long passphrase")
