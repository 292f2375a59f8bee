"""Every page a person uses, at desktop and phone widths: axe-core finds no accessibility
violations and nothing is wider than the screen. With SCREENSHOTS_DIR set (`make screenshots`),
each page is also saved as a PNG there."""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from catalog.models import Course
from tests.accounts.factories import TEST_PASSWORD, UserFactory
from tests.catalog.factories import CourseFactory
from tests.checkout.factories import PaidOrderFactory, RefundFactory
from tests.checkout.sandbox import onboarded_seller

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# WCAG 2.1 A and AA, plus axe's best practices (heading order, landmarks).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# Who is logged in → (screenshot name, path) of the pages they use; {slug} is a demo course of
# seller@, {order} a paid sale of it with one refund made and one pending; {seller} and
# {seller2} the two demo sellers' ids.
PAGES = {
    None: [
        ("home", "/"),
        ("catalog", "/courses/"),
        ("catalog-no-match", "/courses/?q=no-such-course"),
        ("course", "/courses/{slug}/"),
        ("seller-page", "/sellers/{seller}/"),
        ("unconnected-seller-page", "/sellers/{seller2}/"),
        ("login", "/accounts/login/"),
        ("signup", "/accounts/signup/"),
        ("password-reset", "/accounts/password/reset/"),
    ],
    "buyer@example.com": [
        ("buyer-account", "/account/"),
        ("buyer-course", "/courses/{slug}/"),
        ("email", "/accounts/email/"),
        ("password-change", "/accounts/password/change/"),
    ],
    "seller@example.com": [
        ("seller-account", "/account/"),
        ("my-courses", "/courses/mine/"),
        ("course-new", "/courses/new/"),
        ("course-edit", "/courses/{slug}/edit/"),
        ("refund", "/checkout/orders/{order}/refund/"),
    ],
    "seller2@example.com": [
        ("unconnected-seller-home", "/"),
        ("unconnected-seller-account", "/account/"),
    ],
}

TOO_WIDE = """
() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(el => !el.closest('.visually-hidden, .skip-link'))
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''))
  .slice(0, 5)
"""


def axe_violations(page) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{violation['id']}: {violation['help']} — "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in result["violations"]
    ]


def check(page, name: str, width: str) -> list[str]:
    problems = [f"{name} ({width}) {violation}" for violation in axe_violations(page)]
    too_wide = page.evaluate(TOO_WIDE)
    if too_wide:
        problems.append(f"{name} ({width}) wider than the screen: {too_wide}")
    if directory := os.environ.get("SCREENSHOTS_DIR"):
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{directory}/{name}-{width}.png", full_page=True)
    return problems


@pytest.fixture
def demo(db):
    call_command("load_demo_data", verbosity=0)
    course = Course.objects.filter(seller__email="seller@example.com").first()
    order = PaidOrderFactory(
        course=course,
        seller=course.seller,
        buyer=User.objects.get(email="buyer@example.com"),
        amount=course.price_amount,
        currency=course.currency,
        fee_amount=course.price_amount // 10,
    )
    RefundFactory(order=order, amount=500, status="succeeded")
    RefundFactory(order=order, amount=300, status="pending")
    return {
        "slug": course.slug,
        "order": order.pk,
        "seller": course.seller_id,
        "seller2": User.objects.get(email="seller2@example.com").pk,
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("email", PAGES)
def test_pages_are_accessible_and_fit_the_screen(page, live_server, log_in, demo, email, width):
    page.set_viewport_size(WIDTHS[width])
    if email:
        log_in(email, "justatest")
    problems = []
    for name, path in PAGES[email]:
        response = page.goto(live_server.url + path.format(**demo))
        assert response.status == 200, path
        problems += check(page, name, width)
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_form_errors_are_accessible(page, live_server, demo, width):
    page.set_viewport_size(WIDTHS[width])
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("not-an-email@")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password (again)").fill("other")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()

    assert check(page, "signup-errors", width) == []


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize("width", WIDTHS)
def test_checkout_pages_are_accessible(page, live_server, log_in, stripe_sandbox, width):
    """Stripe's payment page (the sandbox's stand-in), a cancel, and the course page after it."""
    page.set_viewport_size(WIDTHS[width])
    seller = onboarded_seller(account_type="express", base_url=live_server.url)
    course = CourseFactory(seller=seller, title="Payments for people", price_amount=4900)
    buyer = UserFactory(email="buyer@test.example")
    log_in(buyer.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    page.get_by_role("button", name="Buy for $49.00").click()
    page.wait_for_url(re.compile(r"/stripe-sandbox/"))
    problems = check(page, "checkout", width)

    page.get_by_role("link", name="Back").click()
    page.wait_for_url(re.compile(r"/cancelled/"))
    problems += check(page, "checkout-cancelled", width)
    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    problems += check(page, "course-after-cancel", width)

    assert problems == []
