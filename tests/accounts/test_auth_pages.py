"""allauth's pages in the site's own words and layout."""

import pytest

from accounts.forms import ProfileForm

pytestmark = pytest.mark.django_db


def test_login_and_signup_headings_match_the_navigation(client):
    login = client.get("/accounts/login/").content.decode()
    signup = client.get("/accounts/signup/").content.decode()

    assert "<h1>Log in</h1>" in login and "Sign In" not in login
    assert "<h1>Sign up</h1>" in signup and "Sign Up" not in signup


def test_a_signup_error_sits_under_its_field(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "not-an-email", "password1": "justatest1!", "password2": "justatest1!"},
    )
    page = response.content.decode()

    field = page[page.index('for="id_email"') :]
    field = field[: field.index("</div>")]
    assert field.index('name="email"') < field.index("Enter a valid email address.")


def test_remember_me_checkbox_sits_inside_its_label(client):
    page = client.get("/accounts/login/").content.decode()

    label = page[page.index('<label for="id_remember">') :]
    label = label[: label.index("</label>")]
    assert 'type="checkbox"' in label and "Remember" in label


def test_time_zone_menu_offers_common_zones_first_and_groups_the_rest():
    choices = ProfileForm().fields["time_zone"].choices

    assert choices[0][0] == "Common"
    assert ("America/New_York", "America / New York") in choices[0][1]
    europe = dict(choices)["Europe"]
    assert ("Europe/Vienna", "Europe / Vienna") in europe
    assert "Europe/Berlin" not in dict(europe)  # already among the common zones
    assert ProfileForm({"time_zone": "Europe/Vienna"}).is_valid()
    assert not ProfileForm({"time_zone": "Mars/Olympus"}).is_valid()
