import pytest
from django.core import mail

from accounts.models import User
from tests.accounts.factories import TEST_PASSWORD, UserFactory


@pytest.mark.django_db
def test_sign_up_creates_a_buyer_with_a_name_and_logs_them_in(client):
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
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    assert not user.is_seller
    assert client.get("/account/").status_code == 200
    # Verification is optional by default, but the confirmation email is still sent.
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]


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
