"""`manage.py reconcile_orders` and the admin's reprocess action."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from checkout import stripe_payments
from checkout.models import Order, WebhookEvent
from checkout.services.orders import orders_reconcile
from site_config.stripe_client import StripeGatewayError
from tests.checkout.conftest import paid_session
from tests.checkout.factories import OrderFactory, PaidOrderFactory

pytestmark = pytest.mark.django_db


def test_reconcile_fulfils_paid_cancels_expired_and_leaves_open_sessions(monkeypatch, caplog):
    paid = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    expired = OrderFactory()
    still_open = OrderFactory()
    unreachable = OrderFactory()
    already_done = PaidOrderFactory()
    answers = {
        paid.checkout_session_id: paid_session(paid),
        expired.checkout_session_id: paid_session(
            expired, status="expired", payment_status="unpaid"
        ),
        still_open.checkout_session_id: paid_session(
            still_open, status="open", payment_status="unpaid"
        ),
    }
    asked = []

    def retrieve(*, session_id, stripe_account_id=""):
        asked.append(session_id)
        if session_id not in answers:
            raise StripeGatewayError("The payment service could not be reached.")
        return answers[session_id]

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", retrieve)
    out = StringIO()

    call_command("reconcile_orders", stdout=out)

    assert out.getvalue().strip() == (
        "Reconciled orders: 1 paid, 1 cancelled, 1 still open, 1 could not be checked."
    )
    statuses = {o.pk: o.status for o in Order.objects.all()}
    assert statuses[paid.pk] == Order.Status.PAID
    assert statuses[expired.pk] == Order.Status.CANCELLED
    assert statuses[still_open.pk] == Order.Status.PENDING
    assert statuses[unreachable.pk] == Order.Status.PENDING
    assert already_done.checkout_session_id not in asked
    # The operator is told which order could not be checked, and why.
    [warning] = [r for r in caplog.records if r.name == "checkout.services.orders"]
    assert warning.levelname == "WARNING"
    assert warning.getMessage() == f"Reconciling order {unreachable.pk} failed"
    assert isinstance(warning.exc_info[1], StripeGatewayError)


def test_reconcile_finishes_a_separate_charge_transfer_that_failed(monkeypatch):
    order = PaidOrderFactory(charge_type=Order.ChargeType.SEPARATE, transfer_id="")
    monkeypatch.setattr(
        stripe_payments,
        "transfer_create",
        lambda **kwargs: stripe_payments.TransferResult(id="tr_late", amount=kwargs["amount"]),
    )

    call_command("reconcile_orders", stdout=StringIO())

    order.refresh_from_db()
    assert order.transfer_id == "tr_late"


def test_admin_reprocesses_a_failed_event(admin_client, monkeypatch):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    monkeypatch.setattr(
        stripe_payments, "checkout_session_retrieve", lambda **kwargs: paid_session(order)
    )
    event = WebhookEvent.objects.create(
        event_id="evt_failed_before",
        type="checkout.session.completed",
        endpoint="platform",
        payload={"data": {"object": {"id": order.checkout_session_id, "metadata": {}}}},
        attempts=1,
        last_error="StripeGatewayError('unreachable')",
    )

    response = admin_client.post(
        reverse("admin:checkout_webhookevent_changelist"),
        {"action": "reprocess", "_selected_action": [event.pk]},
        follow=True,
    )

    assert "Reprocessed 1 event" in response.content.decode()
    event.refresh_from_db()
    assert event.processed_at is not None
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_admin_shows_events_read_only(admin_client):
    event = WebhookEvent.objects.create(
        event_id="evt_ro", type="customer.created", endpoint="platform", payload={}
    )

    page = admin_client.get(reverse("admin:checkout_webhookevent_change", args=[event.pk]))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


@pytest.mark.parametrize(
    "name", ["order", "webhookevent", "stripecustomer", "orderemail", "refund"]
)
def test_admin_lists_open(admin_client, name):
    PaidOrderFactory()
    url = reverse(f"admin:checkout_{name}_changelist")

    assert admin_client.get(url).status_code == 200


def test_admin_order_page_shows_its_refunds(admin_client):
    order = PaidOrderFactory()
    order.refunds.create(
        amount=500, currency="usd", stripe_refund_id="re_admin", status="succeeded"
    )

    page = admin_client.get(reverse("admin:checkout_order_change", args=[order.pk]))

    assert "re_admin" in page.content.decode()


def test_reconcile_counts_every_outcome_and_goes_on_after_an_unreachable_order(monkeypatch):
    # Different counts per outcome, and the unreachable orders first, so a count that is
    # overwritten, swapped or cut short by the first failure shows.
    outcomes = ["error", "error", "paid", "open", "expired", "paid", "expired", "paid", "open"]
    orders = [OrderFactory(charge_type=Order.ChargeType.DESTINATION) for _ in outcomes]
    for minutes, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(
            created_at=order.created_at + timedelta(minutes=minutes)
        )
    answers = {}
    for order, outcome in zip(orders, outcomes, strict=True):
        if outcome == "paid":
            answers[order.checkout_session_id] = paid_session(order)
        elif outcome == "expired":
            answers[order.checkout_session_id] = paid_session(
                order, status="expired", payment_status="unpaid"
            )
        elif outcome == "open":
            answers[order.checkout_session_id] = paid_session(
                order, status="open", payment_status="unpaid"
            )

    def retrieve(*, session_id, stripe_account_id=""):
        if session_id not in answers:
            raise StripeGatewayError("The payment service could not be reached.")
        return answers[session_id]

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", retrieve)

    assert orders_reconcile() == {
        "paid": 3,
        "cancelled": 2,
        "open": 2,
        "errors": 2,
        "reversed": 0,
        "still_failing": 0,
    }
    assert Order.objects.filter(status=Order.Status.PAID).count() == 3
