"""The running sale totals the all-time dashboards read stay equal to the orders they sum."""

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from checkout import stripe_payments
from checkout.models import Order, SaleTotal
from checkout.services.sale_totals import sale_totals_rebuild
from tests.checkout.conftest import dispute_state, event_payload, paid_session
from tests.checkout.factories import OrderFactory
from tests.checkout.test_webhooks import completed, deliver, refunded_charge

pytestmark = pytest.mark.django_db(transaction=True)


def live_totals() -> dict:
    """The same figures aggregated from every paid order, as the dashboards did before."""
    return {
        (row["seller_id"], row["course_id"], row["currency"], row["charge_type"]): (
            row["count"],
            row["gross"],
            row["fees"],
            row["refunds"],
        )
        for row in Order.objects.filter(paid_at__isnull=False)
        .values("seller_id", "course_id", "currency", "charge_type")
        .annotate(
            count=Count("id"),
            gross=Sum("amount"),
            fees=Sum("fee_amount"),
            refunds=Sum("refunded_amount"),
        )
        .order_by()
    }


def stored_totals() -> dict:
    return {
        (row.seller_id, row.course_id, row.currency, row.charge_type): (
            row.count,
            row.gross,
            row.fees,
            row.refunds,
        )
        for row in SaleTotal.objects.all()
        if row.count
    }


@pytest.fixture
def stripe_state(monkeypatch):
    """What Stripe says about sessions and charges, for the services to read back."""
    sessions: dict[str, stripe_payments.CheckoutSession] = {}
    refunded: dict[str, int] = {}

    def retrieve(*, session_id: str, stripe_account_id: str = ""):
        return sessions[session_id]

    def charge(*, charge_id: str, stripe_account_id: str = ""):
        return stripe_payments.ChargeState(
            id=charge_id,
            payment_intent_id="pi",
            amount=0,
            amount_refunded=refunded.get(charge_id, 0),
        )

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", retrieve)
    monkeypatch.setattr(stripe_payments, "charge_retrieve", charge)
    return sessions, refunded


def dispute(order: Order, event_id: str) -> bytes:
    return event_payload(
        "charge.dispute.created",
        {"id": f"dp_{order.pk}", "object": "dispute", "charge": order.charge_id},
        event_id=event_id,
    )


def test_totals_follow_payments_refunds_and_disputes_and_ignore_repeated_events(
    client, settings, stripe_state, stripe_disputes
):
    sessions, refunded = stripe_state
    first = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    second = OrderFactory(course=first.course, charge_type=Order.ChargeType.DESTINATION)
    unpaid = OrderFactory(course=first.course, charge_type=Order.ChargeType.DESTINATION)
    for order in (first, second):
        sessions[order.checkout_session_id] = paid_session(order)

    for order, event_id in ((first, "evt_paid_1"), (second, "evt_paid_2"), (first, "evt_paid_1")):
        assert deliver(client, settings, completed(order, event_id=event_id)).status_code == 200
    # The same payment announced by a second, different event.
    deliver(client, settings, completed(first, event_id="evt_paid_1_again"))
    first.refresh_from_db()
    second.refresh_from_db()
    refunded[first.charge_id] = 1_000
    deliver(client, settings, refunded_charge(first, 1_000, "evt_refund_1"))
    deliver(client, settings, refunded_charge(first, 1_000, "evt_refund_1"))
    deliver(client, settings, refunded_charge(first, 1_000, "evt_refund_1_again"))
    stripe_disputes[f"dp_{second.pk}"] = dispute_state(
        dispute_id=f"dp_{second.pk}", charge_id=second.charge_id
    )
    deliver(client, settings, dispute(second, "evt_dispute"))
    deliver(client, settings, dispute(second, "evt_dispute"))

    [row] = SaleTotal.objects.all()
    assert (row.count, row.gross, row.fees, row.refunds) == (2, 9_800, 980, 1_000)
    assert stored_totals() == live_totals()
    unpaid.refresh_from_db()
    assert unpaid.paid_at is None
    second.refresh_from_db()
    assert second.status == Order.Status.DISPUTED


def test_a_refund_stripe_reports_with_the_payment_is_counted_once(client, settings, stripe_state):
    sessions, refunded = stripe_state
    order = OrderFactory(charge_type=Order.ChargeType.DIRECT)
    sessions[order.checkout_session_id] = paid_session(order, amount_refunded=4_900)

    deliver(client, settings, completed(order, event_id="evt_paid"))
    order.refresh_from_db()
    refunded[order.charge_id] = 4_900
    deliver(client, settings, refunded_charge(order, 4_900, "evt_refund"), connect=True)

    [row] = SaleTotal.objects.all()
    assert (row.count, row.gross, row.refunds) == (1, 4_900, 4_900)
    assert stored_totals() == live_totals()


def test_currencies_and_charge_types_are_kept_in_separate_rows(client, settings, stripe_state):
    sessions, _ = stripe_state
    usd = OrderFactory(charge_type=Order.ChargeType.DIRECT)
    jpy = OrderFactory(
        course__currency="jpy", course__price_amount=1_500, charge_type=Order.ChargeType.SEPARATE
    )
    for n, order in enumerate((usd, jpy)):
        sessions[order.checkout_session_id] = paid_session(order, transfer_id="")
        deliver(client, settings, completed(order, event_id=f"evt_{n}"))

    assert sorted(
        (row.currency, row.charge_type, row.gross) for row in SaleTotal.objects.all()
    ) == [
        ("jpy", "separate", 1_500),
        ("usd", "direct", 4_900),
    ]


def test_rebuild_repairs_wrong_and_missing_totals_and_reports_them(
    client, settings, stripe_state, capsys
):
    sessions, _ = stripe_state
    orders = [OrderFactory(charge_type=Order.ChargeType.DESTINATION) for _ in range(3)]
    for n, order in enumerate(orders):
        sessions[order.checkout_session_id] = paid_session(order)
        deliver(client, settings, completed(order, event_id=f"evt_{n}"))
    expected = live_totals()
    SaleTotal.objects.filter(course=orders[0].course).update(gross=1)
    SaleTotal.objects.filter(course=orders[1].course).delete()

    call_command("sale_totals_rebuild")

    assert "3 rows, 2 were wrong or missing" in capsys.readouterr().out
    assert stored_totals() == expected
    assert sale_totals_rebuild() == {"rows": 3, "corrected": 0}
