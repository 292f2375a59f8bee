import pytest

from accounts.models import User


@pytest.mark.django_db
def test_email_is_the_login_and_is_stored_lowercase():
    user = User.objects.create_user(email="Mixed.Case@Example.COM", password="pw-long-enough-1")
    assert user.email == "mixed.case@example.com"
    assert user.check_password("pw-long-enough-1")
    assert User.USERNAME_FIELD == "email"


@pytest.mark.django_db
def test_new_users_are_buyers_and_superusers_are_staff():
    buyer = User.objects.create_user(email="b@example.com", password="x")
    admin = User.objects.create_superuser(email="a@example.com", password="x")
    assert (buyer.is_seller, buyer.role_label) == (False, "Buyer")
    assert admin.is_staff and admin.is_superuser
    assert admin.role_label == "Administrator"


@pytest.mark.django_db
def test_creating_a_user_without_email_fails():
    with pytest.raises(ValueError):
        User.objects.create_user(email="", password="x")


@pytest.mark.django_db
def test_display_name_falls_back_to_the_email_name():
    assert User(email="grace@example.com").display_name == "grace"
    assert User(email="grace@example.com", full_name="Grace Hopper").display_name == "Grace Hopper"
