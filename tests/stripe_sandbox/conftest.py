import pytest
import stripe

from stripe_sandbox.webhooks import stop_worker

SECRET_KEY = "sk_test_sandbox_platform"
CLIENT_ID = "ca_sandbox_platform"


@pytest.fixture
def sandbox_url(stripe_sandbox, settings):
    """The live server's sandbox, with fast webhook retries and no background worker.

    Tests deliver webhooks themselves (`deliver_due`, `wait_for_deliveries`) so they are
    deterministic; the worker has its own tests.
    """
    settings.STRIPE_SANDBOX_WEBHOOK_RETRY_DELAYS = [0.2, 0.2, 0.2]
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
    stop_worker()
    yield f"{stripe_sandbox}/stripe-sandbox"
    stop_worker()


def make_client(base: str, api_key: str = SECRET_KEY) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        client_id=CLIENT_ID,
        base_addresses={"api": base, "connect": base},
        max_network_retries=0,
    )


@pytest.fixture
def client(sandbox_url) -> stripe.StripeClient:
    return make_client(sandbox_url)
