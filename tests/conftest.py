import pytest

from tests.accounts.factories import SellerFactory, StripeAccountFactory, UserFactory


@pytest.fixture
def buyer(db):
    return UserFactory(email="buyer@test.example")


@pytest.fixture
def seller(db):
    return SellerFactory(email="seller@test.example", full_name="Sally Seller")


@pytest.fixture
def connected_seller(db):
    return StripeAccountFactory(seller__email="connected@test.example").seller


@pytest.fixture
def staff_user(db):
    return UserFactory(email="staff@test.example", is_staff=True, is_superuser=True)
