import pytest

from accounts.models import User
from catalog.models import Course
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
