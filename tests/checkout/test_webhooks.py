"""The webhook endpoints: signatures verified for real, events stored once, handlers converge."""

import json
import time

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from checkout import membership_services, stripe_payments
from checkout.models import Order, PayoutSnapshot, WebhookEvent
from checkout.services import webhook_handlers
from checkout.services.webhook_handlers import webhook_event_process
from site_config.stripe_client import StripeGatewayError
from tests.accounts.factories import StripeAccountFactory
from tests.checkout.conftest import dispute_state, event_payload, paid_session, sign
from tests.checkout.factories import OrderFactory, PaidOrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

PLATFORM = "/checkout/webhook/"
CONNECT = "/checkout/webhook/connect/"


def post(client, url: str, payload: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    return client.post(url, data=payload, content_type="application/json", **headers)


def deliver(client, settings, payload: bytes, *, connect: bool = False):
    secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET if connect else settings.STRIPE_WEBHOOK_SECRET
    return post(client, CONNECT if connect else PLATFORM, payload, sign(payload, secret))


class SessionReads(list):
    """The session ids fulfilment asked Stripe about; `sessions` holds Stripe's answers."""

    def __init__(self):
        super().__init__()
        self.sessions: dict[str, stripe_payments.CheckoutSession] = {}


@pytest.fixture
def retrieve(monkeypatch):
    reads = SessionReads()

    def fake(*, session_id: str, stripe_account_id: str = ""):
        # Stripe is never called with a database transaction open.
        assert not connection.in_atomic_block
        reads.append(session_id)
        return reads.sessions[session_id]

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", fake)
    return reads


def completed(order: Order, *, event_id: str = "evt_completed") -> bytes:
    return event_payload(
        "checkout.session.completed",
        {
            "id": order.checkout_session_id,
            "object": "checkout.session",
            "payment_status": "paid",
            "metadata": {"order_id": str(order.pk)},
            "client_reference_id": str(order.pk),
        },
        event_id=event_id,
    )


def test_url_names_are_the_documented_paths():
    assert reverse("checkout:webhook") == PLATFORM
    assert reverse("checkout:webhook-connect") == CONNECT


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=1,v1=deadbeef",
        "nonsense",
    ],
    ids=["missing", "empty", "forged", "garbled"],
)
def test_unsigned_or_forged_events_are_refused_and_not_stored(client, retrieve, signature):
    order = OrderFactory()

    response = post(client, PLATFORM, completed(order), signature)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert retrieve == []


def test_an_event_signed_with_another_secret_is_refused(client, settings, retrieve):
    payload = completed(OrderFactory())

    response = post(client, PLATFORM, payload, sign(payload, "whsec_someone_else"))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_the_connect_secret_does_not_open_the_platform_endpoint(client, settings, retrieve):
    payload = completed(OrderFactory())

    response = post(
        client, PLATFORM, payload, sign(payload, settings.STRIPE_CONNECT_WEBHOOK_SECRET)
    )
    connect_response = post(client, CONNECT, payload, sign(payload, settings.STRIPE_WEBHOOK_SECRET))

    assert (response.status_code, connect_response.status_code) == (400, 400)
    assert not WebhookEvent.objects.exists()


def test_a_signature_older_than_five_minutes_is_refused(client, settings, retrieve):
    payload = completed(OrderFactory())
    stale = sign(payload, settings.STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) - 301)

    response = post(client, PLATFORM, payload, stale)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(client, settings, retrieve):
    payload = completed(OrderFactory())
    signature = sign(payload, settings.STRIPE_WEBHOOK_SECRET)

    response = post(client, PLATFORM, payload.replace(b"paid", b"PAID"), signature)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert retrieve == []


def test_webhooks_accept_only_post(client):
    assert client.get(PLATFORM).status_code == 405


def test_a_completed_session_fulfils_the_order_and_is_stored(client, settings, retrieve):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    retrieve.sessions[order.checkout_session_id] = paid_session(order)

    response = deliver(client, settings, completed(order))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.type, event.endpoint) == (
        "evt_completed",
        "checkout.session.completed",
        "platform",
    )
    assert event.processed_at is not None
    assert event.attempts == 1
    assert event.payload["data"]["object"]["id"] == order.checkout_session_id


def test_a_duplicate_event_is_acknowledged_without_effect(client, settings, retrieve):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    retrieve.sessions[order.checkout_session_id] = paid_session(order)

    first = deliver(client, settings, completed(order))
    second = deliver(client, settings, completed(order))

    assert (first.status_code, second.status_code) == (200, 200)
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().attempts == 1
    assert retrieve == [order.checkout_session_id]
    assert len(mail.outbox) == 2


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_a_duplicate_is_answered_after_one_read_and_no_write(client, settings):
    payload = event_payload(
        "balance.available", {"object": "balance", "available": []}, event_id="evt_dup"
    )
    deliver(client, settings, payload)

    with CaptureQueriesContext(connection) as queries:
        response = deliver(client, settings, payload)

    assert response.status_code == 200
    assert len(queries) == 1
    assert "payload" not in queries[0]["sql"]
    assert WebhookEvent.objects.get().attempts == 1


def test_a_duplicate_known_to_be_processed_touches_no_database(client, settings):
    payload = event_payload(
        "balance.available", {"object": "balance", "available": []}, event_id="evt_dup"
    )
    deliver(client, settings, payload)
    deliver(client, settings, payload)  # the database says processed; the cache remembers it

    with CaptureQueriesContext(connection) as queries:
        response = deliver(client, settings, payload)

    assert response.status_code == 200
    assert queries.captured_queries == []


def test_an_event_whose_handler_failed_is_not_taken_for_processed(client, settings, retrieve):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    payload = completed(order)
    # The session cannot be read yet: the handler fails and the event stays unprocessed.
    assert deliver(client, settings, payload).status_code == 500
    assert deliver(client, settings, payload).status_code == 500
    retrieve.sessions[order.checkout_session_id] = paid_session(order)

    assert deliver(client, settings, payload).status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert WebhookEvent.objects.get().attempts == 3


def test_an_event_with_nothing_to_do_is_stored_as_processed_in_one_write(client, settings):
    # The platform's own balance changed: no seller's payout figures to refresh.
    payload = event_payload(
        "balance.available", {"object": "balance", "available": []}, event_id="evt_balance"
    )

    with CaptureQueriesContext(connection) as queries:
        response = deliver(client, settings, payload)

    assert response.status_code == 200
    assert len(writes(queries)) == 1
    event = WebhookEvent.objects.get()
    assert event.processed_at is not None
    assert (event.attempts, event.type) == (1, "balance.available")


def test_two_events_for_one_session_fulfil_once(client, settings, retrieve):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    retrieve.sessions[order.checkout_session_id] = paid_session(order)

    deliver(client, settings, completed(order, event_id="evt_a"))
    deliver(
        client,
        settings,
        event_payload(
            "checkout.session.async_payment_succeeded",
            {"id": order.checkout_session_id, "object": "checkout.session"},
            event_id="evt_b",
        ),
    )

    assert WebhookEvent.objects.count() == 2
    assert len(mail.outbox) == 2


def test_unknown_event_types_are_acknowledged_and_stored(client, settings):
    response = deliver(
        client, settings, event_payload("customer.created", {"id": "cus_1"}, event_id="evt_x")
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().processed_at is not None


@pytest.mark.parametrize(
    "reference",
    [
        lambda order: {"metadata": {"order_id": str(order.pk)}},
        # Metadata missing: the session's client reference names the order as well.
        lambda order: {"client_reference_id": str(order.pk)},
    ],
    ids=["metadata", "client-reference"],
)
def test_a_session_completed_before_the_buy_request_saved_its_id_is_linked_by_its_reference(
    client, settings, retrieve, reference
):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION, checkout_session_id=None)
    retrieve.sessions["cs_test_lost"] = paid_session(order, id="cs_test_lost")
    payload = event_payload(
        "checkout.session.completed",
        {
            "id": "cs_test_lost",
            "object": "checkout.session",
            "amount_total": 4900,
            "currency": "usd",
            **reference(order),
        },
        event_id="evt_lost",
    )

    deliver(client, settings, payload)

    order.refresh_from_db()
    assert (order.checkout_session_id, order.status) == ("cs_test_lost", Order.Status.PAID)


def test_a_foreign_session_naming_one_of_our_orders_is_not_attached(client, settings, retrieve):
    order = OrderFactory(checkout_session_id=None)
    payload = event_payload(
        "checkout.session.completed",
        {
            "id": "cs_test_foreign",
            "object": "checkout.session",
            "amount_total": 100,
            "currency": "usd",
            "metadata": {"order_id": str(order.pk)},
        },
        event_id="evt_foreign",
    )

    response = deliver(client, settings, payload)

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.checkout_session_id, order.status) == (None, Order.Status.PENDING)
    assert retrieve == []


def test_a_lost_direct_charge_session_is_linked_from_the_sellers_account(
    client, settings, retrieve
):
    order = OrderFactory(charge_type=Order.ChargeType.DIRECT, checkout_session_id=None)
    retrieve.sessions["cs_test_lost_direct"] = paid_session(order, id="cs_test_lost_direct")
    payload = event_payload(
        "checkout.session.completed",
        {
            "id": "cs_test_lost_direct",
            "object": "checkout.session",
            "amount_total": order.amount,
            "currency": order.currency,
            "metadata": {"order_id": str(order.pk)},
        },
        event_id="evt_lost_direct",
        account=order.stripe_account_id,
    )

    deliver(client, settings, payload, connect=True)

    order.refresh_from_db()
    assert (order.checkout_session_id, order.status) == ("cs_test_lost_direct", Order.Status.PAID)


@pytest.mark.parametrize("account", ["acct_1AnotherSeller", ""], ids=["other_seller", "platform"])
def test_a_session_from_another_account_naming_our_order_is_not_attached(
    client, settings, retrieve, account
):
    order = OrderFactory(charge_type=Order.ChargeType.DIRECT, checkout_session_id=None)
    payload = event_payload(
        "checkout.session.completed",
        {
            "id": "cs_test_elsewhere",
            "object": "checkout.session",
            "amount_total": order.amount,
            "currency": order.currency,
            "metadata": {"order_id": str(order.pk)},
        },
        event_id="evt_elsewhere",
        account=account,
    )

    response = deliver(client, settings, payload, connect=bool(account))

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.checkout_session_id, order.status) == (None, Order.Status.PENDING)
    assert retrieve == []


def test_a_failing_handler_answers_500_and_the_retry_finishes_the_work(
    client, settings, retrieve, monkeypatch
):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    retrieve.sessions[order.checkout_session_id] = paid_session(order)
    working = stripe_payments.checkout_session_retrieve

    def unreachable(**kwargs):
        raise StripeGatewayError("The payment service could not be reached.")

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", unreachable)
    failed = deliver(client, settings, completed(order))

    assert failed.status_code == 500
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    event = WebhookEvent.objects.get()
    assert event.processed_at is None
    assert "could not be reached" in event.last_error

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", working)
    retried = deliver(client, settings, completed(order))

    assert retried.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    event.refresh_from_db()
    assert (event.attempts, event.last_error) == (2, "")


def test_an_expired_session_cancels_its_order(client, settings):
    order = OrderFactory()

    deliver(
        client,
        settings,
        event_payload(
            "checkout.session.expired",
            {"id": order.checkout_session_id, "object": "checkout.session", "status": "expired"},
            event_id="evt_expired",
        ),
    )

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_an_expiry_arriving_after_payment_changes_nothing(client, settings):
    order = PaidOrderFactory()

    deliver(
        client,
        settings,
        event_payload(
            "checkout.session.expired",
            {"id": order.checkout_session_id, "object": "checkout.session"},
            event_id="evt_late_expiry",
        ),
    )

    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_an_async_payment_failure_fails_the_pending_order(client, settings):
    order = OrderFactory()

    deliver(
        client,
        settings,
        event_payload(
            "checkout.session.async_payment_failed",
            {"id": order.checkout_session_id, "object": "checkout.session"},
            event_id="evt_async_failed",
        ),
    )

    order.refresh_from_db()
    assert order.status == Order.Status.FAILED


def refunded_charge(order: Order, amount_refunded: int, event_id: str) -> bytes:
    return event_payload(
        "charge.refunded",
        {
            "id": order.charge_id or "ch_unknown_yet",
            "object": "charge",
            "amount_refunded": amount_refunded,
        },
        event_id=event_id,
        account=order.stripe_account_id if order.charge_type == Order.ChargeType.DIRECT else "",
    )


def test_a_full_refund_on_the_connect_endpoint_revokes_access(client, settings, monkeypatch):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DIRECT)
    asked = []

    def charge(**kwargs):
        asked.append(kwargs)
        return stripe_payments.ChargeState(
            id=order.charge_id,
            payment_intent_id="pi",
            amount=4900,
            amount_refunded=4900,
        )

    monkeypatch.setattr(stripe_payments, "charge_retrieve", charge)

    response = deliver(client, settings, refunded_charge(order, 4900, "evt_ref"), connect=True)

    assert response.status_code == 200
    assert asked == [{"charge_id": order.charge_id, "stripe_account_id": order.stripe_account_id}]
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.REFUNDED, 4900)
    assert [m.to for m in mail.outbox] == [[order.buyer.email]]


def test_a_refund_before_the_session_completed_event_converges(
    client, settings, retrieve, monkeypatch
):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    retrieve.sessions[order.checkout_session_id] = paid_session(
        order, charge_id="ch_early", amount_refunded=1000
    )
    monkeypatch.setattr(
        stripe_payments,
        "charge_retrieve",
        lambda **kwargs: stripe_payments.ChargeState(
            id="ch_early",
            payment_intent_id="pi",
            amount=4900,
            amount_refunded=1000,
        ),
    )
    early = event_payload(
        "charge.refunded",
        {"id": "ch_early", "object": "charge", "amount_refunded": 1000},
        event_id="evt_refund_first",
    )

    first = deliver(client, settings, early)
    second = deliver(client, settings, completed(order))

    assert (first.status_code, second.status_code) == (200, 200)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 1000)
    assert order.grants_access
    kinds = sorted(order.emails.values_list("kind", flat=True))
    assert kinds == ["receipt", "refund-1000", "sale"]


def test_refund_events_in_reverse_order_end_at_stripes_total(client, settings, monkeypatch):
    order = PaidOrderFactory()
    monkeypatch.setattr(
        stripe_payments,
        "charge_retrieve",
        lambda **kwargs: stripe_payments.ChargeState(
            id=order.charge_id,
            payment_intent_id="pi",
            amount=4900,
            amount_refunded=3000,
        ),
    )

    deliver(client, settings, refunded_charge(order, 3000, "evt_second"), connect=True)
    deliver(client, settings, refunded_charge(order, 1000, "evt_first"), connect=True)

    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 3000)


def test_a_dispute_marks_the_order_and_emails_the_seller(client, settings, stripe_disputes):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    stripe_disputes["dp_1"] = dispute_state(dispute_id="dp_1", charge_id=order.charge_id)

    response = deliver(
        client,
        settings,
        event_payload(
            "charge.dispute.created",
            {"id": "dp_1", "object": "dispute", "charge": order.charge_id, "amount": 4900},
            event_id="evt_dispute",
        ),
    )

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.DISPUTED
    assert [m.to for m in mail.outbox] == [[order.seller.email]]


def _charge_naming_order(monkeypatch, order_id):
    """Stripe's answer for any charge: one naming `order_id`; returns what Stripe was asked."""
    asked = []

    def retrieve(**kwargs):
        asked.append(kwargs)
        return stripe_payments.ChargeState(
            id=kwargs["charge_id"],
            payment_intent_id="pi_x",
            amount=4900,
            amount_refunded=0,
            order_id=order_id,
        )

    monkeypatch.setattr(stripe_payments, "charge_retrieve", retrieve)
    return asked


def test_a_dispute_for_a_charge_not_yet_recorded_asks_stripe_to_retry(
    client, settings, monkeypatch, stripe_disputes
):
    asked = _charge_naming_order(monkeypatch, order_id=12345)
    stripe_disputes["dp_2"] = dispute_state(dispute_id="dp_2", charge_id="ch_not_yet")
    response = deliver(
        client,
        settings,
        event_payload(
            "charge.dispute.created",
            {"id": "dp_2", "object": "dispute", "charge": "ch_not_yet"},
            event_id="evt_dispute_early",
            account="acct_seller",
        ),
        connect=True,
    )

    assert response.status_code == 500
    # The charge is read where it lives: on the seller's account the event came from.
    assert asked == [{"charge_id": "ch_not_yet", "stripe_account_id": "acct_seller"}]
    event = WebhookEvent.objects.get()
    assert event.processed_at is None
    assert "No order has charge ch_not_yet yet." in event.last_error


@pytest.fixture
def refreshed(monkeypatch):
    """The Stripe account ids the accounts service was asked to refresh."""
    asked = []
    monkeypatch.setattr(
        account_services,
        "stripe_account_refresh",
        lambda *, stripe_account_id: asked.append(stripe_account_id),
        raising=False,
    )
    return asked


@pytest.mark.parametrize(
    ("event_account", "endpoint"),
    [
        ("acct_1", "connect"),
        # Sent to the platform's endpoint, the event names no account: the object says which.
        ("", "platform"),
    ],
)
def test_account_updated_refreshes_the_account_it_describes_through_the_accounts_service(
    client, settings, refreshed, event_account, endpoint
):
    response = deliver(
        client,
        settings,
        event_payload(
            "account.updated",
            {"id": "acct_1", "object": "account", "charges_enabled": True},
            event_id="evt_acct",
            account=event_account,
        ),
        connect=endpoint == "connect",
    )

    assert response.status_code == 200
    assert refreshed == ["acct_1"]
    assert WebhookEvent.objects.get().endpoint == endpoint


def test_deauthorization_disconnects_the_account_through_the_accounts_service(
    client, settings, monkeypatch
):
    disconnected = []
    monkeypatch.setattr(
        account_services,
        "stripe_account_disconnect",
        lambda *, stripe_account_id: disconnected.append(stripe_account_id),
        raising=False,
    )

    deliver(
        client,
        settings,
        event_payload(
            "account.application.deauthorized",
            {"id": "ca_sandbox_platform", "object": "application"},
            event_id="evt_deauth",
            account="acct_2",
        ),
        connect=True,
    )

    assert disconnected == ["acct_2"]


def test_the_stored_payload_is_the_verified_event(client, settings):
    payload = event_payload("customer.created", {"id": "cus_1"}, event_id="evt_payload")

    deliver(client, settings, payload)

    assert WebhookEvent.objects.get().payload == json.loads(payload)


def test_an_expired_membership_session_goes_to_memberships_not_orders(
    client, settings, monkeypatch
):
    order = OrderFactory(checkout_session_id="cs_membership")
    settled = []
    monkeypatch.setattr(
        membership_services,
        "membership_session_completed",
        lambda **kwargs: settled.append(kwargs),
    )

    deliver(
        client,
        settings,
        event_payload(
            "checkout.session.expired",
            {"id": "cs_membership", "object": "checkout.session", "mode": "subscription"},
            event_id="evt_membership_expired",
            account="acct_seller",
        ),
        connect=True,
    )

    assert settled == [{"session_id": "cs_membership", "stripe_account_id": "acct_seller"}]
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_dispute_on_a_sale_made_outside_the_marketplace_is_acknowledged_and_ignored(
    client, settings, monkeypatch, stripe_disputes
):
    _charge_naming_order(monkeypatch, order_id=None)
    stripe_disputes["dp_3"] = dispute_state(dispute_id="dp_3", charge_id="ch_sellers_own_sale")
    response = deliver(
        client,
        settings,
        event_payload(
            "charge.dispute.created",
            {"id": "dp_3", "object": "dispute", "charge": "ch_sellers_own_sale"},
            event_id="evt_dispute_elsewhere",
        ),
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().processed_at is not None
    assert mail.outbox == []


def test_a_session_whose_reference_is_not_an_order_id_is_acknowledged(client, settings, retrieve):
    order = OrderFactory(checkout_session_id=None)
    payload = event_payload(
        "checkout.session.completed",
        {
            "id": "cs_test_other_app",
            "object": "checkout.session",
            "amount_total": order.amount,
            "currency": order.currency,
            "client_reference_id": "invoice-42",
        },
        event_id="evt_other_app",
    )

    response = deliver(client, settings, payload)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().last_error == ""


def _stored_event(event_type, data_object, *, account="", endpoint="platform") -> WebhookEvent:
    """An event stored by an earlier delivery, as the admin's "process again" finds it."""
    payload = json.loads(
        event_payload(event_type, data_object, event_id="evt_again", account=account)
    )
    return WebhookEvent.objects.create(
        event_id="evt_again",
        type=event_type,
        account=account,
        endpoint=endpoint,
        payload=payload,
        attempts=1,
    )


def test_reprocessing_a_stored_event_does_its_work_and_counts_one_more_attempt(settings):
    order = OrderFactory()
    record = _stored_event(
        "checkout.session.expired",
        {"id": order.checkout_session_id, "object": "checkout.session", "status": "expired"},
    )

    webhook_event_process(record=record)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    record.refresh_from_db()
    assert record.attempts == 2
    assert record.processed_at is not None


def test_reprocessing_a_sellers_payout_event_has_their_payouts_read_again(settings):
    seller = StripeAccountFactory(stripe_account_id="acct_payouts").seller
    snapshot = PayoutSnapshot.objects.create(
        seller=seller, stripe_account_id="acct_payouts", fetched_at=timezone.now()
    )
    record = _stored_event(
        "payout.paid",
        {"id": "po_1", "object": "payout", "amount": 4410},
        account="acct_payouts",
        endpoint="connect",
    )

    webhook_event_process(record=record)

    snapshot.refresh_from_db()
    assert snapshot.stale is True


@pytest.fixture
def charge_reads(monkeypatch):
    asked = []

    def charge(**kwargs):
        asked.append(kwargs)
        return stripe_payments.ChargeState(
            id=kwargs["charge_id"], payment_intent_id="pi", amount=4900, amount_refunded=4900
        )

    monkeypatch.setattr(stripe_payments, "charge_retrieve", charge)
    return asked


def test_a_refund_event_with_its_charge_expanded_refunds_that_charge(
    client, settings, charge_reads
):
    order = PaidOrderFactory()
    payload = event_payload(
        "refund.created",
        {
            "id": "re_1",
            "object": "refund",
            "amount": 4900,
            "charge": {"id": order.charge_id, "object": "charge"},
        },
        event_id="evt_refund_expanded",
    )

    response = deliver(client, settings, payload)

    assert response.status_code == 200
    assert [read["charge_id"] for read in charge_reads] == [order.charge_id]
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.REFUNDED, 4900)


def test_a_refund_event_naming_no_charge_asks_stripe_nothing(client, settings, charge_reads):
    payload = event_payload(
        "refund.created",
        {"id": "re_2", "object": "refund", "amount": 100, "charge": None},
        event_id="evt_refund_no_charge",
    )

    response = deliver(client, settings, payload)

    assert response.status_code == 200
    assert charge_reads == []
    assert WebhookEvent.objects.get().processed_at is not None


def test_a_failing_handler_leaves_the_first_2000_characters_of_its_error_on_the_event(
    client, settings, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError("x" * 5000)

    monkeypatch.setattr(webhook_handlers, "order_cancel_expired", fail)
    payload = event_payload(
        "checkout.session.expired",
        {"id": "cs_test_long_error", "object": "checkout.session", "status": "expired"},
        event_id="evt_long_error",
    )

    response = deliver(client, settings, payload)

    assert response.status_code == 500
    stored = WebhookEvent.objects.get()
    assert stored.last_error == ("RuntimeError('" + "x" * 5000)[:2000]
    assert stored.processed_at is None
