"""Onboarding raced from many threads, as a double-clicked "Set up payouts" button races in
production. Needs PostgreSQL (SQLite serialises writers, which would hide the race); CI runs the
suite with `DATABASE_URL=postgres://...`."""

import threading

import pytest
from django.db import connection, connections

from accounts import services
from accounts.models import StripeAccount
from tests.accounts.factories import SellerFactory
from tests.accounts.gateway import connected

THREADS = 10

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Concurrency needs real row locks: set DATABASE_URL to a PostgreSQL database.",
    ),
]


def test_ten_concurrent_onboarding_clicks_link_one_account_without_an_error(monkeypatch):
    seller = SellerFactory()
    # Stripe answers every click with the same account: they share one idempotency key.
    account = connected("acct_1Raced", "express", ready=False, due=["external_account"])
    monkeypatch.setattr(services, "account_create", lambda **kwargs: account)
    monkeypatch.setattr(
        services, "account_onboarding_link_create", lambda **kwargs: "https://onboard.test/link"
    )
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def click():
        try:
            barrier.wait()
            url = services.stripe_account_start_onboarding(seller=seller, account_type="express")
        except Exception as error:  # collected and asserted on below
            url = repr(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(url)

    threads = [threading.Thread(target=click) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == ["https://onboard.test/link"] * THREADS
    assert StripeAccount.objects.get(seller=seller).stripe_account_id == "acct_1Raced"
