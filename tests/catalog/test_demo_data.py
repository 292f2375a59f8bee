import pytest
from django.core.management import call_command

from accounts.models import User
from catalog.models import Course


@pytest.mark.django_db
def test_demo_data_loads_once_with_the_documented_logins():
    call_command("load_demo_data")
    call_command("load_demo_data")
    emails = set(User.objects.values_list("email", flat=True))
    assert {
        "admin@example.com",
        "seller@example.com",
        "seller2@example.com",
        "buyer@example.com",
    } <= emails
    assert User.objects.get(email="admin@example.com").is_superuser
    assert User.objects.get(email="buyer@example.com").check_password("justatest")
    published = Course.objects.filter(is_published=True)
    assert published.count() >= 8
    assert {c.seller.email for c in published} == {"seller@example.com", "seller2@example.com"}
    assert User.objects.count() == 4


@pytest.mark.django_db
def test_the_connected_demo_seller_offers_a_membership_once():
    from checkout.models import MembershipOffer

    call_command("load_demo_data")
    call_command("load_demo_data")
    [offer] = MembershipOffer.objects.all()
    assert offer.seller.email == "seller@example.com"
    assert (offer.currency, offer.monthly_amount, offer.yearly_amount) == ("usd", 1900, 19000)
    assert offer.is_active
