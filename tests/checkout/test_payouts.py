"""The Payouts page's cache: Stripe is read once, again after an event, and a refresh asks
Stripe at most every few minutes."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from checkout import stripe_payments
from checkout.models import PayoutSnapshot
from checkout.services import payouts as payout_services
from site_config.stripe_client import StripeGatewayError
from tests.accounts.factories import StripeAccountFactory
from tests.checkout.conftest import event_payload
from tests.checkout.test_webhooks import deliver

pytestmark = pytest.mark.django_db


def overview(available: int) -> stripe_payments.PayoutOverview:
    return stripe_payments.PayoutOverview(
        balances=(stripe_payments.BalanceAmount(currency="usd", available=available, pending=0),),
        schedule_interval="daily",
        schedule_delay_days=2,
        schedule_anchor="",
        payouts=(
            stripe_payments.PayoutSummary(
                id="po_1",
                amount=4410,
                currency="usd",
                status="paid",
                arrival_date=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
                created=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                failure_message="",
            ),
        ),
    )


@pytest.fixture
def stripe_reads(monkeypatch):
    """Our gateway, answering with the balance in `answers[-1]` and counting the calls."""
    calls = []
    answers = [4410]

    def retrieve(*, stripe_account_id: str, limit: int = 10):
        calls.append(stripe_account_id)
        if answers[-1] is None:
            raise StripeGatewayError("Stripe is unavailable. Try again shortly.")
        return overview(answers[-1])

    monkeypatch.setattr(stripe_payments, "payout_overview_retrieve", retrieve)
    return calls, answers


@pytest.fixture
def seller():
    return StripeAccountFactory().seller


def test_second_view_reads_the_cache_not_stripe(client, seller, stripe_reads):
    calls, _ = stripe_reads
    client.force_login(seller)

    first = client.get(reverse("dashboards:payouts"))
    second = client.get(reverse("dashboards:payouts"))

    assert len(calls) == 1
    for response in (first, second):
        page = response.content.decode()
        assert "$44.10" in page
        assert "Figures from Stripe as of" in page
        assert "Every day; money from a sale is paid out 2 days after it." in page


def test_a_payout_event_makes_the_next_view_read_stripe(client, settings, seller, stripe_reads):
    calls, answers = stripe_reads
    client.force_login(seller)
    client.get(reverse("dashboards:payouts"))
    answers.append(0)

    deliver(
        client,
        settings,
        event_payload(
            "payout.paid",
            {"id": "po_2", "object": "payout"},
            event_id="evt_payout",
            account=seller.stripe_account.stripe_account_id,
        ),
        connect=True,
    )
    page = client.get(reverse("dashboards:payouts")).content.decode()

    assert len(calls) == 2
    assert "$0.00" in page


def test_refresh_asks_stripe_at_most_every_few_minutes(client, seller, stripe_reads):
    calls, _ = stripe_reads
    client.force_login(seller)
    client.get(reverse("dashboards:payouts"))

    client.post(reverse("dashboards:payouts"))
    assert len(calls) == 1

    PayoutSnapshot.objects.update(
        fetched_at=timezone.now() - payout_services.PAYOUT_REFRESH_MIN_INTERVAL
    )
    client.post(reverse("dashboards:payouts"))
    assert len(calls) == 2


def test_stripe_unreachable_keeps_the_last_figures_and_says_so(client, seller, stripe_reads):
    calls, answers = stripe_reads
    client.force_login(seller)
    client.get(reverse("dashboards:payouts"))
    PayoutSnapshot.objects.update(stale=True)
    answers.append(None)

    page = client.get(reverse("dashboards:payouts")).content.decode()

    assert len(calls) == 2
    assert "$44.10" in page
    assert "Stripe could not be reached just now" in page


def test_only_sellers_see_payouts(client, buyer):
    client.force_login(buyer)
    assert client.get(reverse("dashboards:payouts")).status_code == 403
