import hashlib
import hmac
import json
import time
from dataclasses import replace

import pytest
import responses

from checkout import stripe_payments
from checkout.models import Order
from site_config.stripe_client import StripeGatewayError
from tests.accounts.factories import StripeAccountFactory
from tests.catalog.factories import CourseFactory

STRIPE_TEST_API = "https://stripe.test"


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header made the way Stripe makes it."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def event_payload(event_type: str, data_object: dict, *, event_id: str, account: str = "") -> bytes:
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2026-07-29.dahlia",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": data_object},
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
    }
    if account:
        event["account"] = account
    return json.dumps(event).encode()


@pytest.fixture
def stripe_api(settings):
    """`responses` standing in for Stripe's HTTP API at a test address."""
    settings.STRIPE_API_BASE = STRIPE_TEST_API
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def make_course(db):
    def _make(
        *,
        charge_type: str = "auto",
        account_type: str = "standard",
        price_amount: int = 4900,
        currency: str = "usd",
        platform_fee_percent: str = "10.00",
        **extra,
    ):
        seller = StripeAccountFactory(account_type=account_type).seller
        return CourseFactory(
            seller=seller,
            charge_type=charge_type,
            price_amount=price_amount,
            currency=currency,
            platform_fee_percent=platform_fee_percent,
            **extra,
        )

    return _make


def opened_session(*, id: str, url: str, **create_kwargs) -> stripe_payments.CheckoutSession:
    """What the gateway returns when `checkout_session_create` is called with `create_kwargs`."""
    return stripe_payments.CheckoutSession(
        id=id,
        url=url,
        status="open",
        payment_status="unpaid",
        expires_at=create_kwargs["expires_at"],
        amount_total=create_kwargs["amount"],
        currency=create_kwargs["currency"],
        customer_id="",
        order_id=create_kwargs["order_id"],
        stripe_account_id="",
        payment_intent_id="",
        charge_id="",
        application_fee_id="",
        transfer_id="",
        amount_refunded=0,
    )


def paid_session(order: Order, **changes) -> stripe_payments.CheckoutSession:
    """What the gateway returns for a paid session of this order."""
    session = stripe_payments.CheckoutSession(
        id=order.checkout_session_id,
        url="",
        status="complete",
        payment_status="paid",
        expires_at=None,
        amount_total=order.amount,
        currency=order.currency,
        customer_id="cus_test_buyer",
        order_id=order.pk,
        stripe_account_id=(
            order.stripe_account_id if order.charge_type == Order.ChargeType.DIRECT else ""
        ),
        payment_intent_id=f"pi_for_{order.pk}",
        charge_id=f"ch_for_{order.pk}",
        application_fee_id=f"fee_for_{order.pk}"
        if order.charge_type != Order.ChargeType.SEPARATE
        else "",
        transfer_id=f"tr_for_{order.pk}"
        if order.charge_type == Order.ChargeType.DESTINATION
        else "",
        amount_refunded=0,
    )
    return replace(session, **changes)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run `transaction.on_commit` callbacks (the email tasks) inside a test transaction."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def stripe_disputes(monkeypatch):
    """What Stripe says about disputes (by id), for the dispute service to read back."""
    disputes: dict[str, stripe_payments.DisputeState] = {}

    def retrieve(*, dispute_id: str, stripe_account_id: str = ""):
        return disputes[dispute_id]

    monkeypatch.setattr(stripe_payments, "dispute_retrieve", retrieve)
    return disputes


def dispute_state(
    *, dispute_id: str, charge_id: str, status: str = "needs_response", amount: int = 4900
) -> stripe_payments.DisputeState:
    """A card dispute as Stripe reports it: the amount and Stripe's 15.00 fee withdrawn."""
    return stripe_payments.DisputeState(
        id=dispute_id,
        charge_id=charge_id,
        status=status,
        amount=amount,
        withdrawn=0 if status == "won" else amount,
        fee=1500,
    )


class FakeGateway:
    """Records calls to the gateway functions and answers like Stripe would."""

    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, dict]] = []
        self.session: stripe_payments.CheckoutSession | None = None
        self.error: StripeGatewayError | None = None
        self.amount_refunded = 0
        self.dispute: stripe_payments.DisputeState | None = None
        self.refunds: tuple[stripe_payments.RefundState, ...] = ()
        for name in (
            "checkout_session_create",
            "checkout_session_retrieve",
            "transfer_create",
            "refund_create",
            "transfer_reversal_create",
            "transfer_reversal_find",
            "charge_retrieve",
            "dispute_retrieve",
        ):
            monkeypatch.setattr(stripe_payments, name, self._recorder(name))

    def _recorder(self, name):
        def record(**kwargs):
            self.calls.append((name, kwargs))
            if self.error is not None:
                raise self.error
            return getattr(self, f"_{name}")(**kwargs)

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def kwargs(self, name: str) -> dict:
        return next(kwargs for called, kwargs in self.calls if called == name)

    def _checkout_session_create(self, **kwargs):
        return opened_session(
            id=f"cs_test_{kwargs['order_id']}",
            url=f"https://checkout.stripe.test/{kwargs['order_id']}",
            **kwargs,
        )

    def _checkout_session_retrieve(self, **kwargs):
        return self.session

    def _transfer_create(self, **kwargs):
        return stripe_payments.TransferResult(id="tr_separate", amount=kwargs["amount"])

    def _refund_create(self, **kwargs):
        return stripe_payments.RefundResult(
            id=f"re_{kwargs['refund_id']}", status="succeeded", amount=kwargs["amount"]
        )

    def _transfer_reversal_create(self, **kwargs):
        return stripe_payments.TransferResult(
            id=f"trr_{kwargs['refund_id']}", amount=kwargs["amount"]
        )

    def _transfer_reversal_find(self, **kwargs):
        return None

    def _dispute_retrieve(self, **kwargs):
        return self.dispute

    def _charge_retrieve(self, **kwargs):
        return stripe_payments.ChargeState(
            id=kwargs["charge_id"],
            payment_intent_id="pi",
            amount=0,
            amount_refunded=self.amount_refunded,
            refunds=self.refunds,
        )


@pytest.fixture
def gateway(monkeypatch):
    return FakeGateway(monkeypatch)
