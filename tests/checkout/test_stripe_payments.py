"""The payments gateway against `responses`: the exact requests Stripe receives."""

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from checkout import stripe_payments
from site_config.stripe_client import StripeErrorCode, StripeGatewayError
from tests.checkout.conftest import STRIPE_TEST_API

EXPIRES = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
SESSION_URL = f"{STRIPE_TEST_API}/v1/checkout/sessions"


def form(request) -> dict:
    return dict(parse_qsl(request.body if isinstance(request.body, str) else request.body.decode()))


def query(request) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(request.url).query)


def session_json(**changes) -> dict:
    body = {
        "id": "cs_test_a1",
        "object": "checkout.session",
        "url": "https://checkout.stripe.test/c/pay/cs_test_a1",
        "status": "open",
        "payment_status": "unpaid",
        "expires_at": int(EXPIRES.timestamp()),
        "amount_total": 4900,
        "currency": "usd",
        "client_reference_id": "7",
        "metadata": {"order_id": "7"},
        "customer": None,
        "payment_intent": None,
    }
    body.update(changes)
    return body


def create(charge_type: str, **overrides):
    arguments = {
        "order_id": 7,
        "charge_type": charge_type,
        "course_title": "Django for marketplaces",
        "amount": 4900,
        "currency": "usd",
        "fee_amount": 490,
        "stripe_account_id": "acct_seller1",
        "customer_id": "",
        "customer_email": "buyer@test.example",
        "success_url": "http://testserver/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://testserver/checkout/orders/7/cancelled/",
        "expires_at": EXPIRES,
    }
    arguments.update(overrides)
    return stripe_payments.checkout_session_create(**arguments)


COMMON_PARAMS = {
    "mode": "payment",
    "line_items[0][quantity]": "1",
    "line_items[0][price_data][currency]": "usd",
    "line_items[0][price_data][unit_amount]": "4900",
    "line_items[0][price_data][product_data][name]": "Django for marketplaces",
    "client_reference_id": "7",
    "metadata[order_id]": "7",
    "payment_intent_data[metadata][order_id]": "7",
    "success_url": "http://testserver/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "http://testserver/checkout/orders/7/cancelled/",
    "expires_at": str(int(EXPIRES.timestamp())),
    "customer_creation": "always",
    "customer_email": "buyer@test.example",
}


def test_direct_session_is_created_on_the_connected_account_with_the_fee(stripe_api):
    stripe_api.post(SESSION_URL, json=session_json())

    session = create("direct")

    request = stripe_api.calls[0].request
    assert form(request) == {**COMMON_PARAMS, "payment_intent_data[application_fee_amount]": "490"}
    assert request.headers["Stripe-Account"] == "acct_seller1"
    assert request.headers["Idempotency-Key"] == "order-7-checkout-session"
    assert session.id == "cs_test_a1"
    assert session.url == "https://checkout.stripe.test/c/pay/cs_test_a1"
    assert session.expires_at == EXPIRES
    assert session.stripe_account_id == "acct_seller1"


def test_destination_session_transfers_to_the_seller_and_keeps_the_fee(stripe_api):
    stripe_api.post(SESSION_URL, json=session_json())

    session = create("destination")

    request = stripe_api.calls[0].request
    assert form(request) == {
        **COMMON_PARAMS,
        "payment_intent_data[application_fee_amount]": "490",
        "payment_intent_data[transfer_data][destination]": "acct_seller1",
    }
    assert "Stripe-Account" not in request.headers
    assert session.stripe_account_id == ""


def test_separate_session_only_names_a_transfer_group(stripe_api):
    stripe_api.post(SESSION_URL, json=session_json())

    create("separate")

    request = stripe_api.calls[0].request
    assert form(request) == {**COMMON_PARAMS, "payment_intent_data[transfer_group]": "order-7"}
    assert "Stripe-Account" not in request.headers


def test_known_customer_is_reused_instead_of_creating_one(stripe_api):
    stripe_api.post(SESSION_URL, json=session_json())

    create("destination", customer_id="cus_known")

    params = form(stripe_api.calls[0].request)
    assert params["customer"] == "cus_known"
    assert "customer_creation" not in params
    assert "customer_email" not in params


def test_zero_decimal_amounts_are_sent_as_whole_yen(stripe_api):
    stripe_api.post(SESSION_URL, json=session_json(currency="jpy", amount_total=1500))

    create("destination", amount=1500, currency="jpy", fee_amount=225)

    params = form(stripe_api.calls[0].request)
    assert params["line_items[0][price_data][unit_amount]"] == "1500"
    assert params["line_items[0][price_data][currency]"] == "jpy"
    assert params["payment_intent_data[application_fee_amount]"] == "225"


def test_declined_or_invalid_request_becomes_a_gateway_error_with_a_safe_message(stripe_api):
    stripe_api.post(
        SESSION_URL,
        status=400,
        json={"error": {"type": "invalid_request_error", "message": "secret detail"}},
    )

    with pytest.raises(StripeGatewayError) as raised:
        create("direct")

    assert "secret detail" not in raised.value.user_message


def test_a_deleted_customer_is_reported_as_missing(stripe_api):
    stripe_api.post(
        SESSION_URL,
        status=400,
        json={
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "customer",
                "message": "No such customer: 'cus_gone'",
            }
        },
    )

    with pytest.raises(StripeGatewayError) as raised:
        create("destination", customer_id="cus_gone")

    assert raised.value.code == StripeErrorCode.RESOURCE_MISSING
    assert "cus_gone" not in raised.value.user_message


def test_rate_limit_asks_the_buyer_to_try_again(stripe_api):
    stripe_api.post(
        SESSION_URL,
        status=429,
        headers={"Stripe-Should-Retry": "false"},
        json={"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "x"}},
    )

    with pytest.raises(StripeGatewayError) as raised:
        create("direct")

    assert raised.value.code == StripeErrorCode.RATE_LIMIT
    assert "try again" in raised.value.user_message


def test_unreachable_stripe_says_nothing_was_charged(stripe_api):
    stripe_api.post(SESSION_URL, body=requests.ConnectionError("no route to host"))

    with pytest.raises(StripeGatewayError) as raised:
        create("direct")

    assert raised.value.code == StripeErrorCode.UNREACHABLE
    assert "Nothing was charged" in raised.value.user_message
    # The SDK retried with the same idempotency key, so Stripe would not create two sessions.
    keys = {call.request.headers["Idempotency-Key"] for call in stripe_api.calls}
    assert keys == {"order-7-checkout-session"}


def test_retrieve_reads_charge_fee_and_transfer_from_the_expanded_payment(stripe_api):
    stripe_api.get(
        f"{SESSION_URL}/cs_test_a1",
        json=session_json(
            status="complete",
            payment_status="paid",
            customer="cus_new",
            payment_intent={
                "id": "pi_1",
                "object": "payment_intent",
                "latest_charge": {
                    "id": "ch_1",
                    "object": "charge",
                    "application_fee": {"id": "fee_1", "amount_refunded": 49},
                    "transfer": "tr_1",
                    "amount_refunded": 0,
                    "balance_transaction": {
                        "id": "txn_1",
                        "fee": 662,
                        "fee_details": [
                            {"amount": 172, "type": "stripe_fee"},
                            {"amount": 490, "type": "application_fee"},
                        ],
                    },
                },
            },
        ),
    )

    session = stripe_payments.checkout_session_retrieve(session_id="cs_test_a1")

    sent = query(stripe_api.calls[0].request)
    assert ("expand[0]", "payment_intent.latest_charge.balance_transaction") in sent
    assert ("expand[1]", "payment_intent.latest_charge.application_fee") in sent
    assert len(stripe_api.calls) == 1
    # Only Stripe's own fee: the application fee in the same transaction is the platform's.
    assert session.stripe_fee_amount == 172
    assert session.application_fee_refunded == 49
    assert (session.payment_intent_id, session.charge_id) == ("pi_1", "ch_1")
    assert (session.application_fee_id, session.transfer_id) == ("fee_1", "tr_1")
    assert session.customer_id == "cus_new"
    assert session.order_id == 7


def test_retrieve_fetches_the_charge_when_stripe_did_not_expand_it(stripe_api):
    stripe_api.get(
        f"{SESSION_URL}/cs_test_a1",
        json=session_json(status="complete", payment_status="paid", payment_intent="pi_1"),
    )
    stripe_api.get(
        f"{STRIPE_TEST_API}/v1/payment_intents/pi_1",
        json={"id": "pi_1", "object": "payment_intent", "latest_charge": "ch_1"},
    )
    stripe_api.get(
        f"{STRIPE_TEST_API}/v1/charges/ch_1",
        json={"id": "ch_1", "object": "charge", "application_fee": "fee_1", "amount_refunded": 0},
    )

    session = stripe_payments.checkout_session_retrieve(
        session_id="cs_test_a1", stripe_account_id="acct_seller1"
    )

    assert all(
        call.request.headers["Stripe-Account"] == "acct_seller1" for call in stripe_api.calls
    )
    assert (session.charge_id, session.application_fee_id) == ("ch_1", "fee_1")


def test_transfer_for_a_separate_charge_uses_the_charge_as_source(stripe_api):
    stripe_api.post(
        f"{STRIPE_TEST_API}/v1/transfers", json={"id": "tr_9", "object": "transfer", "amount": 4410}
    )

    transfer = stripe_payments.transfer_create(
        order_id=7,
        amount=4410,
        currency="usd",
        destination="acct_seller1",
        source_transaction="ch_1",
    )

    request = stripe_api.calls[0].request
    assert form(request) == {
        "amount": "4410",
        "currency": "usd",
        "destination": "acct_seller1",
        "source_transaction": "ch_1",
        "transfer_group": "order-7",
        "metadata[order_id]": "7",
    }
    assert request.headers["Idempotency-Key"] == "order-7-transfer"
    assert "Stripe-Account" not in request.headers
    assert transfer.id == "tr_9"


@pytest.mark.parametrize(
    ("charge_type", "extra_params", "account_header"),
    [
        ("destination", {"reverse_transfer": "true", "refund_application_fee": "true"}, None),
        ("direct", {"refund_application_fee": "true"}, "acct_seller1"),
        ("separate", {}, None),
    ],
)
def test_refund_takes_the_money_back_as_the_charge_type_requires(
    stripe_api, charge_type, extra_params, account_header
):
    stripe_api.post(
        f"{STRIPE_TEST_API}/v1/refunds",
        json={"id": "re_1", "object": "refund", "status": "succeeded", "amount": 1000},
    )

    refund = stripe_payments.refund_create(
        refund_id=3,
        order_id=7,
        charge_type=charge_type,
        payment_intent_id="pi_1",
        amount=1000,
        stripe_account_id="acct_seller1",
    )

    request = stripe_api.calls[0].request
    assert form(request) == {
        "payment_intent": "pi_1",
        "amount": "1000",
        "metadata[order_id]": "7",
        "metadata[refund_id]": "3",
        **extra_params,
    }
    assert request.headers.get("Stripe-Account") == account_header
    assert request.headers["Idempotency-Key"] == "refund-3"
    assert (refund.id, refund.status) == ("re_1", "succeeded")


def test_transfer_reversal_takes_the_sellers_share_back(stripe_api):
    stripe_api.post(
        f"{STRIPE_TEST_API}/v1/transfers/tr_9/reversals",
        json={"id": "trr_1", "object": "transfer_reversal", "amount": 900},
    )

    reversal = stripe_payments.transfer_reversal_create(refund_id=3, transfer_id="tr_9", amount=900)

    request = stripe_api.calls[0].request
    assert form(request) == {"amount": "900", "metadata[refund_id]": "3"}
    assert request.headers["Idempotency-Key"] == "refund-3-reversal"
    assert reversal.id == "trr_1"


def test_charge_state_is_read_on_the_right_account(stripe_api):
    stripe_api.get(
        f"{STRIPE_TEST_API}/v1/charges/ch_1",
        json={
            "id": "ch_1",
            "object": "charge",
            "amount": 4900,
            "amount_refunded": 1000,
            "payment_intent": "pi_1",
            "disputed": False,
        },
    )

    charge = stripe_payments.charge_retrieve(charge_id="ch_1", stripe_account_id="acct_seller1")

    assert stripe_api.calls[0].request.headers["Stripe-Account"] == "acct_seller1"
    assert (charge.amount, charge.amount_refunded) == (4900, 1000)
    assert charge.order_id is None


def test_charge_names_its_order_through_the_payment_intents_metadata(stripe_api):
    stripe_api.get(
        f"{STRIPE_TEST_API}/v1/charges/ch_2",
        json={
            "id": "ch_2",
            "object": "charge",
            "amount": 4900,
            "amount_refunded": 0,
            "payment_intent": {
                "id": "pi_2",
                "object": "payment_intent",
                "metadata": {"order_id": "77"},
            },
            "disputed": True,
        },
    )

    charge = stripe_payments.charge_retrieve(charge_id="ch_2")

    assert "expand%5B0%5D=payment_intent" in stripe_api.calls[0].request.url
    assert (charge.order_id, charge.payment_intent_id) == (77, "pi_2")


def test_requests_carry_the_platform_secret_key(stripe_api, settings):
    stripe_api.post(SESSION_URL, json=session_json())

    create("direct")

    assert stripe_api.calls[0].request.headers["Authorization"] == (
        f"Bearer {settings.STRIPE_SECRET_KEY}"
    )
