"""Every page a person uses, at desktop and phone widths: axe-core finds no accessibility
violations and nothing is wider than the screen. With SCREENSHOTS_DIR set (`make screenshots`),
each page is also saved as a PNG there."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from catalog.models import Course
from checkout.models import Membership, MembershipOffer, Order, PayoutSnapshot
from tests.accounts.factories import (
    TEST_PASSWORD,
    SellerFactory,
    StripeAccountFactory,
    UserFactory,
)
from tests.catalog.factories import CourseFactory
from tests.checkout.factories import PaidOrderFactory, RefundFactory
from tests.checkout.sandbox import onboarded_seller
from tests.dashboards.factories import SaleFactory

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
    assert problems == [], "\n".join(problems)


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


def _sign_in(page, live_server, user) -> None:
    """Swap the browser's session for one of `user` (faster than the login form)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def dashboards(db):
    """A seller with sales in two currencies over several days (a refund, a direct charge, a
    membership) and a paid payout; their buyer with a membership; a new seller and buyer with
    nothing yet; and a staff member."""
    now = timezone.now()
    seller = SellerFactory(email="grace@test.example", full_name="Grace Hopper")
    account = StripeAccountFactory(seller=seller, account_type="express")
    long_title = "Compilers from scratch: parsing, type checking and code generation"
    usd = CourseFactory(seller=seller, title=long_title, price_amount=4900, is_published=True)
    short = CourseFactory(seller=seller, title="Debugging", price_amount=1900, is_published=True)
    eur = CourseFactory(seller=seller, title="Cobol", price_amount=2500, currency="eur")
    buyer = UserFactory(email="a.very.long.buyer.address@example-university.test")
    for course, days in ((usd, 0), (short, 2), (short, 5), (eur, 1), (usd, 40)):
        SaleFactory(course=course, buyer=buyer, paid_at=now - dt.timedelta(days=days, hours=1))
    SaleFactory(
        course=short,
        charge_type=Order.ChargeType.DIRECT,
        stripe_fee_amount=85,
        paid_at=now - dt.timedelta(days=3),
    )
    refunded = SaleFactory(
        course=usd,
        buyer=buyer,
        status=Order.Status.PARTIALLY_REFUNDED,
        refunded_amount=1000,
        paid_at=now - dt.timedelta(days=2, hours=3),
    )
    RefundFactory(order=refunded, amount=1000, status="succeeded")
    dispute_lost = SaleFactory(
        course=usd,
        buyer=buyer,
        charge_type=Order.ChargeType.DIRECT,
        status=Order.Status.DISPUTE_LOST,
        dispute_id="dp_test",
        dispute_status="lost",
        dispute_amount=usd.price_amount,
        dispute_fee_amount=1500,
        paid_at=now - dt.timedelta(days=5),
    )
    offer = MembershipOffer.objects.create(
        seller=seller,
        currency="usd",
        monthly_amount=1900,
        stripe_account_id=account.stripe_account_id,
    )
    membership = Membership.objects.create(
        buyer=buyer,
        seller=seller,
        offer=offer,
        interval="month",
        amount=1900,
        currency="usd",
        platform_fee_percent=10,
        charge_type=Order.ChargeType.DESTINATION,
        stripe_account_id=account.stripe_account_id,
        price_id="price_test",
        status=Membership.Status.ACTIVE,
        subscription_id="sub_test",
        current_period_end=now + dt.timedelta(days=20),
        started_at=now - dt.timedelta(days=10),
    )
    payout = {
        "id": "po_test",
        "amount": 8212,
        "currency": "usd",
        "status": "paid",
        "arrival_date": (now - dt.timedelta(days=1)).isoformat(),
        "created": (now - dt.timedelta(days=3)).isoformat(),
        "failure_message": "",
    }
    PayoutSnapshot.objects.create(
        seller=seller,
        stripe_account_id=account.stripe_account_id,
        fetched_at=now,
        overview={
            "balances": [{"currency": "usd", "available": 0, "pending": 4410}],
            "schedule_interval": "daily",
            "schedule_delay_days": 2,
            "schedule_anchor": "",
            "payouts": [payout],
        },
    )
    return {
        "seller": seller,
        "buyer": buyer,
        "sale": refunded.pk,
        "dispute": dispute_lost.pk,
        "membership": membership.pk,
        "new seller": SellerFactory(email="new.seller@test.example"),
        "new buyer": UserFactory(email="new.buyer@test.example"),
        "staff": UserFactory(email="staff@test.example", is_staff=True),
    }


# Who → (screenshot name, path); {sale} is a refunded sale of the seller, {dispute} one whose
# dispute was lost, {membership} the buyer's membership. The new seller and buyer see the empty
# states.
DASHBOARD_PAGES = [
    ("new seller", "sales-empty", "/dashboard/sales/"),
    ("new seller", "payouts-not-connected", "/dashboard/payouts/"),
    ("new buyer", "purchases-empty", "/dashboard/purchases/"),
    ("seller", "sales", "/dashboard/sales/"),
    ("seller", "sales-no-match", "/dashboard/sales/?status=disputed"),
    ("seller", "sales-last-7-days", "/dashboard/sales/?period=7d"),
    ("seller", "sale-detail", "/dashboard/sales/{sale}/"),
    ("seller", "sale-detail-dispute-lost", "/dashboard/sales/{dispute}/"),
    ("seller", "payouts", "/dashboard/payouts/"),
    ("seller", "membership-offer", "/checkout/memberships/offer/"),
    ("buyer", "purchases", "/dashboard/purchases/"),
    ("buyer", "receipt", "/dashboard/purchases/{sale}/"),
    ("buyer", "membership-courses", "/checkout/memberships/{membership}/"),
    ("buyer", "membership-cancel", "/checkout/memberships/{membership}/cancel/"),
    ("staff", "platform", "/dashboard/platform/"),
]


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboards_are_accessible_and_fit_the_screen(page, live_server, dashboards, width):
    page.set_viewport_size(WIDTHS[width])
    problems = []
    for who, name, path in DASHBOARD_PAGES:
        _sign_in(page, live_server, dashboards[who])
        response = page.goto(live_server.url + path.format(**dashboards))
        assert response.status == 200, path
        problems += check(page, name, width)
    assert problems == [], "\n".join(problems)
