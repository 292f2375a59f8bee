import pytest

from accounts.models import User
from catalog.models import Course
from tests.accounts.conftest import account_json
from tests.accounts.factories import StripeAccountFactory
from tests.catalog.factories import CourseFactory


@pytest.mark.django_db
def test_admin_lists_the_seller_flag(client, staff_user, seller):
    client.force_login(staff_user)
    page = client.get("/admin/accounts/user/").content.decode()
    assert "column-is_seller" in page
    assert seller.email in page


@pytest.mark.django_db
def test_bulk_action_grants_selling_rights(client, staff_user, buyer):
    client.force_login(staff_user)
    client.post(
        "/admin/accounts/user/",
        {"action": "make_sellers", "_selected_action": [buyer.pk]},
    )
    buyer.refresh_from_db()
    assert buyer.is_seller


@pytest.mark.django_db
def test_removing_selling_rights_keeps_the_sellers_courses(client, staff_user, seller):
    CourseFactory.create_batch(2, seller=seller)
    client.force_login(staff_user)
    client.post(
        "/admin/accounts/user/",
        {"action": "remove_seller_rights", "_selected_action": [seller.pk]},
    )
    seller.refresh_from_db()
    assert not seller.is_seller
    assert Course.objects.filter(seller=seller).count() == 2


@pytest.mark.django_db
def test_a_seller_with_courses_cannot_be_deleted_with_them(seller):
    from django.db.models import ProtectedError

    CourseFactory(seller=seller)
    with pytest.raises(ProtectedError):
        User.objects.filter(pk=seller.pk).delete()


@pytest.mark.django_db
def test_admin_refreshes_a_stripe_account_from_stripe(client, staff_user, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(charges_enabled=False, details_submitted=False)
    stripe_http.get(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}",
        json=account_json(stripe_account.stripe_account_id),
    )
    client.force_login(staff_user)

    response = client.post(
        "/admin/accounts/stripeaccount/",
        {"action": "refresh_from_stripe", "_selected_action": [stripe_account.pk]},
        follow=True,
    )

    assert "1 account(s) refreshed." in response.content.decode()
    stripe_account.refresh_from_db()
    assert stripe_account.can_take_charges


@pytest.mark.django_db
def test_admin_refresh_reports_stripe_being_down(client, staff_user, stripe_http, stripe_base):
    stripe_account = StripeAccountFactory(charges_enabled=False)
    stripe_http.get(
        f"{stripe_base}/v1/accounts/{stripe_account.stripe_account_id}",
        status=503,
        json={"error": {"type": "api_error"}},
    )
    client.force_login(staff_user)

    response = client.post(
        "/admin/accounts/stripeaccount/",
        {"action": "refresh_from_stripe", "_selected_action": [stripe_account.pk]},
        follow=True,
    )

    assert "Stripe had a problem answering" in response.content.decode()
    stripe_account.refresh_from_db()
    assert not stripe_account.charges_enabled


@pytest.mark.django_db
def test_admin_index_names_each_group_once(client, admin_user):
    client.force_login(admin_user)

    page = client.get("/admin/").content.decode()

    assert page.count(">Accounts</a>") <= 1
    assert ">Users and Stripe accounts</a>" in page
