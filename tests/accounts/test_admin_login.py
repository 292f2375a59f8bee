"""The admin has no login form of its own: it uses the site's rate-limited login."""

import pytest

from tests.accounts.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_login_sends_to_the_site_login_and_back(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_guessing_an_admin_password_at_the_admin_login_is_throttled(client):
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    for _attempt in range(5):
        client.post("/admin/login/", {"username": "boss@example.com", "password": "guess"})
        client.post("/accounts/login/", {"login": "boss@example.com", "password": "guess"})

    # Even the right password no longer logs in, through either door.
    client.post("/admin/login/", {"username": "boss@example.com", "password": TEST_PASSWORD})
    response = client.post(
        "/accounts/login/", {"login": "boss@example.com", "password": TEST_PASSWORD}
    )

    assert b"Too many failed login attempts" in response.content
    assert client.get("/admin/").status_code == 302


def test_staff_still_reach_the_admin_after_logging_in_on_the_site(client):
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    client.post("/accounts/login/", {"login": "boss@example.com", "password": TEST_PASSWORD})

    assert client.get("/admin/").status_code == 200
