"""Every page a person uses: a title, labelled fields, no JavaScript errors, fits a phone."""

import pytest
from django.core.management import call_command

from catalog.models import Course

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

# (who is logged in, path); {slug} is a demo course.
PAGES = [
    (None, "/"),
    (None, "/courses/"),
    (None, "/courses/?q=django"),
    (None, "/courses/{slug}/"),
    (None, "/accounts/login/"),
    (None, "/accounts/signup/"),
    (None, "/accounts/password/reset/"),
    ("buyer@example.com", "/account/"),
    ("buyer@example.com", "/accounts/password/change/"),
    ("buyer@example.com", "/accounts/email/"),
    ("seller@example.com", "/account/"),
    ("seller@example.com", "/courses/mine/"),
    ("seller@example.com", "/courses/new/"),
    ("seller@example.com", "/courses/{slug}/edit/"),
]

FIELDS_WITHOUT_LABEL = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.type !== 'submit')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


@pytest.mark.parametrize(("email", "path"), PAGES)
def test_page_is_usable_on_a_phone(page, live_server, log_in, email, path):
    call_command("load_demo_data", verbosity=0)
    slug = Course.objects.filter(seller__email="seller@example.com").first().slug
    page.set_viewport_size(PHONE)
    if email:
        log_in(email, "justatest")
    response = page.goto(live_server.url + path.format(slug=slug))
    assert response.status == 200
    assert page.title().strip()
    assert page.evaluate(FIELDS_WITHOUT_LABEL) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow}px wider than a phone screen"
