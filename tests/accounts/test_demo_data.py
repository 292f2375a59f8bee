from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import StripeAccount, User
from catalog.selectors import course_sale_blocker

pytestmark = pytest.mark.django_db


def test_demo_seller_is_connected_to_the_sandbox_account_and_seller2_is_not():
    call_command("load_demo_data", stdout=StringIO())
    call_command("load_demo_data", stdout=StringIO())

    stripe_account = StripeAccount.objects.get()
    assert stripe_account.seller.email == "seller@example.com"
    assert stripe_account.stripe_account_id == "acct_1DemoSellerSandbox"
    assert stripe_account.account_type == "standard"
    assert stripe_account.can_take_charges and stripe_account.payouts_enabled
    seller2 = User.objects.get(email="seller2@example.com")
    assert not StripeAccount.objects.filter(seller=seller2).exists()
    courses = list(stripe_account.seller.courses.all())
    assert courses
    assert [course_sale_blocker(course=course) for course in courses] == [None] * len(courses)


def test_demo_data_links_no_account_with_real_stripe_keys(settings):
    settings.STRIPE_SANDBOX_ENABLED = False

    call_command("load_demo_data", stdout=StringIO())

    assert not StripeAccount.objects.exists()


def test_demo_data_leaves_a_disconnected_demo_seller_alone():
    call_command("load_demo_data", stdout=StringIO())
    StripeAccount.objects.update(disconnected_at="2026-01-01T00:00:00Z")

    call_command("load_demo_data", stdout=StringIO())

    assert not StripeAccount.objects.get().is_connected
