"""Account pages: sign-up, login, profile, and connecting Stripe (HTTP mocked by responses)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import StripeAccount, User
from accounts.services import OAUTH_STATE_SESSION_KEY
from tests.accounts.conftest import account_json, token_json
from tests.accounts.factories import TEST_PASSWORD, SellerFactory, StripeAccountFactory, UserFactory
from tests.catalog.factories import CourseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.django_db
def test_sign_up_creates_a_buyer_who_confirms_the_address_and_is_logged_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new.person@example.com",
            "full_name": "New Person",
            "password1": "a-very-good-passphrase",
            "password2": "a-very-good-passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    assert not user.is_seller
    assert client.get("/account/").status_code == 302

    [message] = mail.outbox
    assert message.to == ["new.person@example.com"]
    confirm_path = re.search(r"https?://[^/]+(/accounts/confirm-email/[^/\s]+/)", message.body)[1]
    assert client.post(confirm_path).status_code == 302
    assert client.get("/account/").status_code == 200


@pytest.mark.django_db
def test_sign_up_with_a_taken_address_looks_the_same_and_tells_only_the_owner(client):
    UserFactory(email="taken@example.com")
    form = {
        "email": "taken@example.com",
        "password1": "a-very-good-passphrase",
        "password2": "a-very-good-passphrase",
    }

    response = client.post("/accounts/signup/", form)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    page = client.get(response["Location"]).content.decode()
    assert "already" not in page.lower()
    assert User.objects.filter(email="taken@example.com").count() == 1
    [message] = mail.outbox
    assert message.to == ["taken@example.com"]
    assert "already" in message.body.lower()


@pytest.mark.django_db
def test_sign_up_with_mismatched_passwords_shows_an_error_and_creates_nothing(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.com", "password1": "a-very-good-passphrase", "password2": "other"},
    )
    assert response.status_code == 200
    assert b"You must type the same password each time" in response.content
    assert not User.objects.filter(email="x@example.com").exists()


@pytest.mark.django_db
def test_log_in_with_email_and_log_out_only_by_post(client):
    UserFactory(email="member@example.com")
    response = client.post(
        "/accounts/login/", {"login": "member@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    # A GET shows a confirmation page instead of logging out (no logout by a stray link).
    assert client.get("/accounts/logout/").status_code == 200
    assert client.get("/account/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_refused(client):
    UserFactory(email="member@example.com")
    response = client.post("/accounts/login/", {"login": "member@example.com", "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content


@pytest.mark.django_db
def test_account_page_needs_login(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_account_page_shows_email_role_and_profile_links(client, seller):
    client.force_login(seller)
    page = client.get("/account/").content.decode()
    assert seller.email in page
    assert "Seller" in page
    assert "/accounts/password/change/" in page
    assert "/accounts/email/" in page


@pytest.mark.django_db
def test_profile_update_saves_name_and_time_zone(client, buyer):
    client.force_login(buyer)
    response = client.post("/account/", {"full_name": "  Bea Buyer ", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert (buyer.full_name, buyer.time_zone) == ("Bea Buyer", "Europe/Paris")


@pytest.mark.django_db
def test_profile_update_with_an_unknown_time_zone_changes_nothing(client, buyer):
    client.force_login(buyer)
    response = client.post("/account/", {"full_name": "Changed", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    buyer.refresh_from_db()
    assert buyer.full_name != "Changed"


@pytest.mark.django_db
def test_repeated_failed_logins_are_rate_limited(client):
    UserFactory(email="member@example.com")
    for _attempt in range(5):
        client.post("/accounts/login/", {"login": "member@example.com", "password": "nope"})
    response = client.post(
        "/accounts/login/", {"login": "member@example.com", "password": TEST_PASSWORD}
    )
    assert b"Too many failed login attempts" in response.content
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_link_by_email(client):
    UserFactory(email="forgetful@example.com")
    response = client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.com"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
def test_mandatory_email_verification_blocks_login_until_confirmed(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = client.post(
        "/accounts/signup/",
        {
            "email": "careful@example.com",
            "password1": "a-very-good-passphrase",
            "password2": "a-very-good-passphrase",
        },
    )
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/account/").status_code == 302
    assert "confirm" in mail.outbox[0].body.lower()


# --- Stripe Connect ----------------------------------------------------------------------------

ACCOUNT_URL = reverse("accounts:account")
AUTHORIZE_URL = reverse("accounts:connect-authorize")
CALLBACK_URL = reverse("accounts:connect-oauth-callback")
CARD_URL = reverse("accounts:connect-card")


def start_oauth(client) -> str:
    """Follow "Connect with Stripe" and return the state the consent page was given."""
    response = client.get(AUTHORIZE_URL)
    assert response.status_code == 302
    return parse_qs(urlsplit(response.url).query)["state"][0]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


# --- /connect/authorize/ ------------------------------------------------------------------------


def test_authorize_sends_a_seller_to_the_consent_page(seller_client, settings):
    response = seller_client.get(AUTHORIZE_URL)

    parts = urlsplit(response.url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{settings.SITE_URL}/stripe-sandbox/oauth/authorize"
    )
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["read_write"]
    assert query["client_id"] == [settings.STRIPE_CONNECT_CLIENT_ID]
    assert query["redirect_uri"] == [f"{settings.SITE_URL}/connect/oauth/callback/"]
    assert len(query["state"][0]) >= 32


def test_redirect_uri_follows_site_url(seller_client, settings):
    settings.SITE_URL = "https://courses.example.org"

    response = seller_client.get(AUTHORIZE_URL)

    assert parse_qs(urlsplit(response.url).query)["redirect_uri"] == [
        "https://courses.example.org/connect/oauth/callback/"
    ]


def test_buyer_is_told_why_and_never_sent_to_stripe(client, buyer):
    client.force_login(buyer)

    response = client.get(AUTHORIZE_URL, follow=True)

    assert response.redirect_chain == [(ACCOUNT_URL, 302)]
    assert "Only sellers can connect a Stripe account" in messages_of(response)[0]
    assert OAUTH_STATE_SESSION_KEY not in client.session


def test_anonymous_visitor_is_asked_to_log_in(client):
    response = client.get(AUTHORIZE_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_connected_seller_is_not_sent_to_stripe_again(client, connected_seller):
    client.force_login(connected_seller)

    response = client.get(AUTHORIZE_URL, follow=True)

    assert response.redirect_chain == [(ACCOUNT_URL, 302)]
    assert "already connected" in messages_of(response)[0]


# --- /connect/oauth/callback/ -------------------------------------------------------------------


def test_callback_links_the_standard_account(seller_client, seller, stripe_http, stripe_base):
    state = start_oauth(seller_client)
    stripe_http.post(f"{stripe_base}/oauth/token", json=token_json("acct_1Fresh"))
    stripe_http.get(
        f"{stripe_base}/v1/accounts/acct_1Fresh",
        json=account_json("acct_1Fresh", payouts_enabled=False, currently_due=["external_account"]),
    )

    response = seller_client.get(CALLBACK_URL, {"code": "ac_1", "state": state}, follow=True)

    assert messages_of(response) == ["Your Stripe account acct_1Fresh is connected."]
    stripe_account = StripeAccount.objects.get(seller=seller)
    assert stripe_account.stripe_account_id == "acct_1Fresh"
    assert stripe_account.account_type == "standard"
    assert stripe_account.charges_enabled and stripe_account.details_submitted
    assert not stripe_account.payouts_enabled
    assert stripe_account.requirements_due == ["external_account"]
    assert "acct_1Fresh" in response.content.decode()


def test_no_access_token_is_kept_anywhere(seller_client, seller, stripe_http, stripe_base):
    state = start_oauth(seller_client)
    stripe_http.post(f"{stripe_base}/oauth/token", json=token_json("acct_1Fresh"))
    stripe_http.get(f"{stripe_base}/v1/accounts/acct_1Fresh", json=account_json("acct_1Fresh"))

    seller_client.get(CALLBACK_URL, {"code": "ac_1", "state": state})

    row = StripeAccount.objects.filter(seller=seller).values().get()
    assert "must_not_be_stored" not in repr(row)
    assert "must_not_be_stored" not in repr(dict(seller_client.session))


@pytest.mark.parametrize(
    "query",
    [
        {"code": "ac_1"},
        {"code": "ac_1", "state": ""},
        {"code": "ac_1", "state": "forged-state-value-forged-state-value"},
    ],
    ids=["missing", "empty", "forged"],
)
def test_callback_without_a_valid_state_saves_nothing(seller_client, seller, stripe_http, query):
    start_oauth(seller_client)

    response = seller_client.get(CALLBACK_URL, query, follow=True)

    assert "invalid, expired or was already used" in messages_of(response)[0]
    assert not StripeAccount.objects.filter(seller=seller).exists()
    assert len(stripe_http.calls) == 0


def test_state_works_once(seller_client, seller, stripe_http, stripe_base):
    state = start_oauth(seller_client)
    stripe_http.post(
        f"{stripe_base}/oauth/token",
        status=400,
        json={"error": "invalid_grant", "error_description": "bad code"},
    )
    seller_client.get(CALLBACK_URL, {"code": "ac_bad", "state": state}, follow=True)

    response = seller_client.get(CALLBACK_URL, {"code": "ac_1", "state": state}, follow=True)

    assert "invalid, expired or was already used" in messages_of(response)[0]
    assert len(stripe_http.calls) == 1


def test_expired_state_is_refused(seller_client, seller, stripe_http, time_machine_seconds):
    state = start_oauth(seller_client)
    time_machine_seconds(11 * 60)

    response = seller_client.get(CALLBACK_URL, {"code": "ac_1", "state": state}, follow=True)

    assert "invalid, expired or was already used" in messages_of(response)[0]
    assert not StripeAccount.objects.filter(seller=seller).exists()
    assert len(stripe_http.calls) == 0


def test_state_from_another_session_is_refused(client, seller, stripe_http):
    other = SellerFactory()
    client.force_login(other)
    state = start_oauth(client)
    client.logout()
    client.force_login(seller)

    response = client.get(CALLBACK_URL, {"code": "ac_1", "state": state}, follow=True)

    assert "invalid, expired or was already used" in messages_of(response)[0]
    assert not StripeAccount.objects.exists()


def test_denied_consent_links_nothing(seller_client, seller, stripe_http):
    state = start_oauth(seller_client)

    response = seller_client.get(
        CALLBACK_URL,
        {
            "error": "access_denied",
            "error_description": "The user denied your request",
            "state": state,
        },
        follow=True,
    )

    assert messages_of(response) == [
        "You declined the connection on Stripe. Nothing was connected."
    ]
    assert not StripeAccount.objects.filter(seller=seller).exists()
    assert len(stripe_http.calls) == 0


def test_invalid_grant_links_nothing(seller_client, seller, stripe_http, stripe_base):
    state = start_oauth(seller_client)
    stripe_http.post(
        f"{stripe_base}/oauth/token",
        status=400,
        json={"error": "invalid_grant", "error_description": "Authorization code does not exist"},
    )

    response = seller_client.get(CALLBACK_URL, {"code": "ac_unknown", "state": state}, follow=True)

    assert messages_of(response) == [
        "That Stripe authorisation has expired or was already used. Please connect again."
    ]
    assert not StripeAccount.objects.filter(seller=seller).exists()


def test_stripe_500_links_nothing(seller_client, seller, stripe_http, stripe_base):
    state = start_oauth(seller_client)
    stripe_http.post(
        f"{stripe_base}/oauth/token", status=500, json={"error": {"type": "api_error"}}
    )

    response = seller_client.get(CALLBACK_URL, {"code": "ac_1", "state": state}, follow=True)

    assert messages_of(response) == [
        "Stripe had a problem answering. Please try again in a moment."
    ]
    assert not StripeAccount.objects.filter(seller=seller).exists()


def test_stripe_timeout_links_nothing(seller_client, seller, stripe_http, stripe_base):
    state = start_oauth(seller_client)
    stripe_http.post(f"{stripe_base}/oauth/token", body=requests.exceptions.ReadTimeout("slow"))

    response = seller_client.get(CALLBACK_URL, {"code": "ac_1", "state": state}, follow=True)

    assert messages_of(response) == [
        "Stripe could not be reached. Nothing was charged or changed; please try again in a moment."
    ]
    assert not StripeAccount.objects.filter(seller=seller).exists()


def test_account_linked_to_another_seller_is_refused(
    seller_client, seller, stripe_http, stripe_base
):
    StripeAccountFactory(stripe_account_id="acct_1Taken")
    state = start_oauth(seller_client)
    stripe_http.post(f"{stripe_base}/oauth/token", json=token_json("acct_1Taken"))

    response = seller_client.get(CALLBACK_URL, {"code": "ac_1", "state": state}, follow=True)

    assert "already linked to another seller" in messages_of(response)[0]
    assert not StripeAccount.objects.filter(seller=seller).exists()


def test_callback_for_a_buyer_links_nothing(client, buyer, stripe_http):
    client.force_login(buyer)

    response = client.get(CALLBACK_URL, {"code": "ac_1", "state": "x"}, follow=True)

    assert "Only sellers" in messages_of(response)[0]
    assert not StripeAccount.objects.exists()
    assert len(stripe_http.calls) == 0


def test_callback_for_anonymous_visitor_asks_to_log_in(client, stripe_http):
    response = client.get(CALLBACK_URL, {"code": "ac_1", "state": "x"})

    assert response.url.startswith(reverse("account_login"))
    assert len(stripe_http.calls) == 0


# --- Express and Custom -------------------------------------------------------------------------


def mock_onboarding(stripe_http, stripe_base, account_id="acct_1Exp", account_type="express"):
    stripe_http.post(
        f"{stripe_base}/v1/accounts",
        json=account_json(
            account_id,
            account_type=account_type,
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            currently_due=["individual.first_name"],
        ),
    )
    stripe_http.post(
        f"{stripe_base}/v1/account_links",
        json={
            "object": "account_link",
            "created": 1,
            "expires_at": 2,
            "url": "https://onboard.test/x",
        },
    )


def test_express_onboarding_creates_the_account_and_redirects_to_stripe(
    seller_client, seller, stripe_http, stripe_base, settings
):
    account_type = "express"
    mock_onboarding(stripe_http, stripe_base, account_type=account_type)

    response = seller_client.post(
        reverse("accounts:connect-onboard"), {"account_type": account_type}
    )

    assert response.status_code == 302
    assert response.url == "https://onboard.test/x"
    stripe_account = StripeAccount.objects.get(seller=seller)
    assert stripe_account.stripe_account_id == "acct_1Exp"
    assert stripe_account.account_type == account_type
    assert stripe_account.is_onboarding_pending
    link = parse_qs(stripe_http.calls[1].request.body)
    assert link["return_url"] == [f"{settings.SITE_URL}/connect/onboarding/return/"]
    assert link["refresh_url"] == [f"{settings.SITE_URL}/connect/onboarding/refresh/"]


def test_clicking_twice_creates_one_account(seller_client, seller, stripe_http, stripe_base):
    mock_onboarding(stripe_http, stripe_base)
    onboard = reverse("accounts:connect-onboard")

    seller_client.post(onboard, {"account_type": "express"})
    second = seller_client.post(onboard, {"account_type": "custom"})

    assert second.url == "https://onboard.test/x"
    creates = [call for call in stripe_http.calls if call.request.url.endswith("/v1/accounts")]
    assert len(creates) == 1
    assert StripeAccount.objects.get(seller=seller).account_type == "express"


def test_onboarding_rejects_an_unknown_type(seller_client, seller, stripe_http):
    response = seller_client.post(
        reverse("accounts:connect-onboard"), {"account_type": "standard"}, follow=True
    )

    assert messages_of(response) == ["Choose an Express or a Custom account."]
    assert len(stripe_http.calls) == 0


def test_onboarding_failure_shows_a_message(seller_client, seller, stripe_http, stripe_base):
    stripe_http.post(
        f"{stripe_base}/v1/accounts", status=503, json={"error": {"type": "api_error"}}
    )

    response = seller_client.post(
        reverse("accounts:connect-onboard"), {"account_type": "express"}, follow=True
    )

    assert messages_of(response) == [
        "Stripe had a problem answering. Please try again in a moment."
    ]
    assert not StripeAccount.objects.filter(seller=seller).exists()


def test_return_url_shows_the_real_state(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(
        account_type="express", charges_enabled=False, details_submitted=False
    )
    client.force_login(stripe_account.seller)
    stripe_http.get(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}",
        json=account_json(
            stripe_account.stripe_account_id,
            account_type="express",
            charges_enabled=False,
            details_submitted=False,
            currently_due=["external_account"],
        ),
    )

    response = client.get(reverse("accounts:connect-return"), follow=True)

    assert messages_of(response) == [
        "Onboarding is not finished yet. Continue whenever you are ready."
    ]
    page = response.content.decode()
    assert "Bank account for payouts" in page
    assert "external_account" not in page
    assert "Continue onboarding" in page


def test_return_url_after_completed_onboarding_says_ready(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(
        account_type="express", charges_enabled=False, details_submitted=False
    )
    client.force_login(stripe_account.seller)
    stripe_http.get(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}",
        json=account_json(stripe_account.stripe_account_id, account_type="express"),
    )

    response = client.get(reverse("accounts:connect-return"), follow=True)

    assert messages_of(response) == ["Your Stripe account is ready: you can sell courses now."]
    stripe_account.refresh_from_db()
    assert stripe_account.can_take_charges


def test_refresh_url_issues_a_fresh_link(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(account_type="custom", details_submitted=False)
    client.force_login(stripe_account.seller)
    stripe_http.post(
        f"{stripe_base}/v1/account_links",
        json={
            "object": "account_link",
            "created": 1,
            "expires_at": 2,
            "url": "https://onboard.test/2",
        },
    )

    response = client.get(reverse("accounts:connect-refresh"))

    assert response.url == "https://onboard.test/2"
    assert parse_qs(stripe_http.calls[0].request.body)["account"] == [
        stripe_account.stripe_account_id
    ]


def test_express_seller_opens_the_stripe_dashboard(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(account_type="express")
    client.force_login(stripe_account.seller)
    stripe_http.post(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}/login_links",
        json={"object": "login_link", "created": 1, "url": "https://dashboard.test/express"},
    )

    assert "Stripe dashboard" in client.get(ACCOUNT_URL).content.decode()
    response = client.post(reverse("accounts:connect-dashboard"))

    assert response.url == "https://dashboard.test/express"


def test_standard_seller_has_no_dashboard_button(client, connected_seller, stripe_http):
    client.force_login(connected_seller)

    assert "Stripe dashboard" not in client.get(ACCOUNT_URL).content.decode()
    response = client.post(reverse("accounts:connect-dashboard"), follow=True)
    assert "Only Express accounts" in messages_of(response)[0]
    assert len(stripe_http.calls) == 0


# --- Disconnect -------------------------------------------------------------------------------


def test_disconnect_asks_for_confirmation_first(client, connected_seller):
    client.force_login(connected_seller)

    response = client.get(reverse("accounts:connect-disconnect"))

    assert response.status_code == 200
    assert "Disconnect Stripe account" in response.content.decode()
    assert connected_seller.stripe_account.is_connected


def test_disconnecting_a_standard_account_revokes_access(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory()
    client.force_login(stripe_account.seller)
    stripe_http.post(
        f"{stripe_base}/oauth/deauthorize",
        json={"stripe_user_id": stripe_account.stripe_account_id},
    )

    response = client.post(reverse("accounts:connect-disconnect"), follow=True)

    assert "was disconnected" in messages_of(response)[0]
    assert parse_qs(stripe_http.calls[0].request.body)["stripe_user_id"] == [
        stripe_account.stripe_account_id
    ]
    stripe_account.refresh_from_db()
    assert not stripe_account.is_connected
    assert "Connect with Stripe" in response.content.decode()


def test_disconnect_keeps_the_account_when_stripe_is_down(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory()
    client.force_login(stripe_account.seller)
    stripe_http.post(f"{stripe_base}/oauth/deauthorize", status=500, json={"error": {}})

    response = client.post(reverse("accounts:connect-disconnect"), follow=True)

    assert messages_of(response) == [
        "Stripe had a problem answering. Please try again in a moment."
    ]
    stripe_account.refresh_from_db()
    assert stripe_account.is_connected


# --- The card -------------------------------------------------------------------------------


def test_card_is_a_fragment_for_htmx_and_the_account_page_otherwise(client, connected_seller):
    client.force_login(connected_seller)
    account_id = connected_seller.stripe_account.stripe_account_id

    page = client.get(CARD_URL).content.decode()
    fragment = client.get(CARD_URL, headers={"HX-Request": "true"}).content.decode()

    assert "<html" in page and account_id in page and "Your account" in page
    assert fragment.strip().startswith('<article id="stripe-connection"')
    assert "<html" not in fragment and account_id in fragment


def test_connected_card_shows_account_type_and_badges(client, connected_seller):
    client.force_login(connected_seller)

    page = client.get(ACCOUNT_URL).content.decode()

    assert connected_seller.stripe_account.stripe_account_id in page
    assert "Standard" in page
    assert "Charges enabled" in page and "Payouts enabled" in page
    assert "Connect with Stripe" not in page
    assert "hx-trigger" not in page


def test_new_seller_sees_connect_choices(seller_client):
    page = seller_client.get(ACCOUNT_URL).content.decode()

    assert "Connect with Stripe" in page
    assert 'value="express"' in page and 'value="custom"' in page
    assert f'href="{AUTHORIZE_URL}"' in page


def test_pending_card_polls_and_lists_requirements(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(
        account_type="express",
        charges_enabled=False,
        details_submitted=False,
        requirements_due=["external_account"],
    )
    client.force_login(stripe_account.seller)

    fragment = client.get(CARD_URL, headers={"HX-Request": "true"}).content.decode()

    assert f'hx-get="{CARD_URL}"' in fragment
    assert 'hx-trigger="every 3s"' in fragment
    assert "Onboarding pending" in fragment
    assert "Bank account for payouts" in fragment
    assert "external_account" not in fragment
    assert f'href="{CARD_URL}"' in fragment


def test_polling_stops_once_stripe_enables_charges(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(
        account_type="express", charges_enabled=False, details_submitted=True
    )
    StripeAccount.objects.filter(pk=stripe_account.pk).update(
        updated_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(stripe_account.seller)
    stripe_http.get(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}",
        json=account_json(stripe_account.stripe_account_id, account_type="express"),
    )

    fragment = client.get(CARD_URL, headers={"HX-Request": "true"}).content.decode()

    assert "hx-trigger" not in fragment
    assert "Charges enabled" in fragment


def _age(stripe_account: StripeAccount) -> None:
    StripeAccount.objects.filter(pk=stripe_account.pk).update(
        updated_at=timezone.now() - timedelta(minutes=1)
    )


@pytest.mark.parametrize("payouts_enabled", [True, False])
def test_a_stale_pending_card_saves_and_shows_each_status_stripe_reports(
    client, stripe_http, stripe_base, payouts_enabled
):
    # Every field moves a different way in one case or the other, so a field saved or shown
    # from another one is seen.
    stripe_account = StripeAccountFactory(
        account_type="express",
        charges_enabled=False,
        payouts_enabled=not payouts_enabled,
        details_submitted=False,
        requirements_due=[],
    )
    _age(stripe_account)
    client.force_login(stripe_account.seller)
    stripe_http.get(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}",
        json=account_json(
            stripe_account.stripe_account_id,
            account_type="express",
            charges_enabled=False,
            payouts_enabled=payouts_enabled,
            details_submitted=True,
            # Past due but no longer in currently_due: Stripe lists the two separately.
            past_due=["individual.verification.document"],
            currently_due=["external_account"],
        ),
    )

    fragment = client.get(CARD_URL, headers={"HX-Request": "true"}).content.decode()

    assert len(stripe_http.calls) == 1
    stripe_account.refresh_from_db()
    assert (
        stripe_account.charges_enabled,
        stripe_account.payouts_enabled,
        stripe_account.details_submitted,
    ) == (False, payouts_enabled, True)
    assert stripe_account.requirements_due == [
        "individual.verification.document",
        "external_account",
    ]
    assert "Charges disabled" in fragment and "Charges enabled" not in fragment
    shown, hidden = ("enabled", "disabled") if payouts_enabled else ("disabled", "enabled")
    assert f"Payouts {shown}" in fragment and f"Payouts {hidden}" not in fragment
    assert "Details submitted" in fragment and "Details missing" not in fragment
    assert "Onboarding pending" in fragment
    # Both lists reach the seller, in words (accounts.requirements), never as Stripe's names.
    assert "A photo of an identity document" in fragment
    assert "Bank account for payouts" in fragment
    assert "individual.verification.document" not in fragment and "external_account" not in fragment


def test_a_stale_card_of_a_complete_account_is_not_refreshed(client, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(
        charges_enabled=True, details_submitted=True, payouts_enabled=False
    )
    _age(stripe_account)
    client.force_login(stripe_account.seller)
    stripe_http.get(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}",
        json=account_json(stripe_account.stripe_account_id, payouts_enabled=True),
    )

    fragment = client.get(CARD_URL, headers={"HX-Request": "true"}).content.decode()

    assert len(stripe_http.calls) == 0
    assert "Payouts disabled" in fragment


def test_recently_refreshed_card_does_not_call_stripe(client, stripe_http):
    stripe_account = StripeAccountFactory(charges_enabled=False, details_submitted=False)
    client.force_login(stripe_account.seller)

    client.get(CARD_URL, headers={"HX-Request": "true"})

    assert len(stripe_http.calls) == 0


def test_buyer_never_sees_the_card(client, buyer):
    client.force_login(buyer)

    assert "Getting paid with Stripe" not in client.get(ACCOUNT_URL).content.decode()
    assert "Getting paid with Stripe" not in client.get(reverse("home")).content.decode()
    assert client.get(CARD_URL, headers={"HX-Request": "true"}).content.strip() == b""


def test_home_page_leads_with_the_card_until_the_seller_can_take_payments(
    client, seller, connected_seller
):
    client.force_login(seller)
    page = client.get(reverse("home")).content.decode()
    # Connecting Stripe comes right under the page's heading, before browsing or new courses.
    assert page.index("<h1>") < page.index("Connect with Stripe") < page.index("Browse all")

    pending = StripeAccountFactory(charges_enabled=False, details_submitted=False)
    client.force_login(pending.seller)
    page = client.get(reverse("home")).content.decode()
    assert page.index("Getting paid with Stripe") < page.index("Browse all")

    client.force_login(connected_seller)
    page = client.get(reverse("home")).content.decode()
    assert "Getting paid with Stripe" not in page


def test_account_page_puts_getting_paid_before_the_profile(client, seller):
    client.force_login(seller)

    page = client.get(reverse("accounts:account")).content.decode()

    assert page.index("Connect with Stripe") < page.index("Save profile")


def test_anonymous_home_page_has_no_card(client):
    assert "Getting paid with Stripe" not in client.get(reverse("home")).content.decode()


# --- Selling needs a working account -------------------------------------------------------------


def test_course_of_a_seller_still_onboarding_cannot_be_bought(client, buyer):
    stripe_account = StripeAccountFactory(
        account_type="express", charges_enabled=False, details_submitted=False
    )
    course = CourseFactory(seller=stripe_account.seller, is_published=True)

    client.force_login(buyer)
    assert "Not available yet" in client.get(course.get_absolute_url()).content.decode()

    client.force_login(stripe_account.seller)
    my_courses = client.get(reverse("catalog:my-courses")).content.decode()
    assert "Stripe has not enabled charges yet" in my_courses


def test_course_of_a_disconnected_seller_cannot_be_bought(client, buyer):
    stripe_account = StripeAccountFactory(disconnected_at=timezone.now())
    course = CourseFactory(seller=stripe_account.seller, is_published=True)

    client.force_login(stripe_account.seller)
    page = client.get(course.get_absolute_url()).content.decode()

    assert "Not available yet" in page
    assert "The Stripe account was disconnected" in page
