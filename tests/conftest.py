import pytest
from django.apps import apps

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


@pytest.fixture
def stripe_sandbox(live_server, settings):
    """Point the app's Stripe client and the sandbox's webhook deliveries at the live server.

    Tests using it need the sandbox's database too:
    `@pytest.mark.django_db(transaction=True, databases="__all__")`.
    """
    base = live_server.url
    settings.SITE_URL = base
    settings.STRIPE_API_BASE = f"{base}/stripe-sandbox"
    settings.STRIPE_SANDBOX_WEBHOOK_URL = f"{base}/checkout/webhook/"
    settings.STRIPE_SANDBOX_CONNECT_WEBHOOK_URL = f"{base}/checkout/webhook/connect/"
    settings.STRIPE_SANDBOX_OAUTH_REDIRECT_URIS = [f"{base}/connect/oauth/callback/"]
    return base


@pytest.fixture(autouse=True)
def _no_webhook_thread_outlives_its_test():
    yield
    if apps.is_installed("stripe_sandbox"):
        from stripe_sandbox.webhooks import stop_worker

        stop_worker()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits count in the cache; each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
