import time

import pytest
import requests
import stripe

from stripe_sandbox import store
from stripe_sandbox.routers import SANDBOX_DATABASE
from stripe_sandbox.webhooks import wait_for_deliveries
from tests.stripe_sandbox.payment_helpers import (
    CANCEL_URL,
    CARD_DECLINED,
    CARD_NO_FUNDS,
    connected_account,
    create_session,
    events_by_type,
    one_time_item,
    pay,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_session_is_open_unpaid_with_a_hosted_page_url(sdk):
    session = create_session(
        sdk,
        client_reference_id="order-7",
        metadata={"order_id": "7"},
        customer_email="bo@example.com",
    )

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.mode == "payment"
    assert session.amount_total == 4900
    assert session.amount_subtotal == 4900
    assert session.currency == "usd"
    assert session.payment_intent is None
    assert session.client_reference_id == "order-7"
    assert session.metadata.to_dict() == {"order_id": "7"}
    assert session.customer_email == "bo@example.com"
    assert session.ui_mode == "hosted_page"
    assert session.url.endswith(f"/stripe-sandbox/pay/{session.id}/")
    assert 86000 < session.expires_at - int(time.time()) <= 86400
    assert sdk.v1.checkout.sessions.retrieve(session.id).id == session.id


def test_line_items_list_the_inline_price_and_product(sdk):
    session = create_session(sdk, items=[one_time_item(amount=1500, quantity=2, name="Notes")])

    items = sdk.v1.checkout.sessions.line_items.list(session.id)

    [item] = items.data
    assert item.object == "item"
    assert item.description == "Notes"
    assert item.quantity == 2
    assert item.amount_total == 3000
    assert item.price.unit_amount == 1500
    assert item.price.type == "one_time"
    assert sdk.v1.products.retrieve(item.price.product).name == "Notes"
    assert session.amount_total == 3000


def test_line_items_accept_an_existing_price(sdk):
    price = sdk.v1.prices.create(
        params={"currency": "eur", "unit_amount": 1250, "product_data": {"name": "Course"}}
    )

    session = create_session(sdk, items=[{"price": price.id, "quantity": 1}])

    assert session.amount_total == 1250
    assert session.currency == "eur"


def test_session_create_refuses_a_missing_quantity_and_an_unknown_price(sdk):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        create_session(sdk, items=[{"price_data": one_time_item()["price_data"]}])
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        create_session(sdk, items=[{"price": "price_nope", "quantity": 1}])

    assert missing.value.error.param == "line_items[0][quantity]"
    assert unknown.value.http_status == 404
    assert unknown.value.error.code == "resource_missing"
    assert unknown.value.error.param == "line_items[0][price]"


def test_session_create_refuses_an_application_fee_on_a_plain_platform_charge(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(sdk, payment_intent_data={"application_fee_amount": 100})

    assert raised.value.error.param == "payment_intent_data[application_fee_amount]"


def test_session_create_refuses_unknown_parameters_like_stripe(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(sdk, payment_intent_data={"application_fee": 100})

    assert raised.value.error.message == (
        "Received unknown parameter: payment_intent_data[application_fee]"
    )


def test_session_create_replays_for_the_same_idempotency_key(sdk):
    options = {"idempotency_key": "order-1-checkout-session"}

    first = create_session(sdk, options=options)
    second = create_session(sdk, options=options)

    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        create_session(sdk, options=options, client_reference_id="other")


def test_hosted_page_links_use_the_public_url_when_the_api_is_served_apart(sdk, settings):
    settings.STRIPE_SANDBOX_PUBLIC_URL = "https://shop.example"

    session = create_session(sdk)

    assert session.url == f"https://shop.example/stripe-sandbox/pay/{session.id}/"


def test_paying_redirects_to_success_url_with_the_session_id(sdk):
    session = create_session(sdk)

    response = pay(session)

    assert response.status_code == 303
    assert response.headers["Location"] == f"http://shop.example/success?session_id={session.id}"
    paid = sdk.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert paid.status == "complete"
    assert paid.payment_status == "paid"
    assert paid.url is None
    assert paid.customer_details.email == "buyer@example.com"
    assert paid.payment_intent.id.startswith("pi_")
    assert paid.payment_intent.status == "succeeded"
    assert paid.payment_intent.amount_received == 4900
    assert paid.payment_intent.latest_charge.paid is True


def test_hosted_page_shows_items_total_and_merchant(sdk, sandbox_url):
    session = create_session(sdk, items=[one_time_item(amount=4900, currency="jpy")])

    page = requests.get(session.url, timeout=5)

    assert page.status_code == 200
    assert "Django for Beginners" in page.text
    assert "¥4,900" in page.text
    assert "Sandbox platform" in page.text
    assert 'for="card_number"' in page.text
    assert f'href="{CANCEL_URL}"' in page.text


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (CARD_DECLINED, "Your card was declined."),
        (CARD_NO_FUNDS, "Your card has insufficient funds."),
    ],
)
def test_declined_card_shows_the_error_and_leaves_the_session_open(sdk, card, message):
    session = create_session(sdk)

    response = pay(session, card=card)

    assert response.status_code == 200
    assert message in response.text
    assert f'value="{card}"' not in response.text
    again = sdk.v1.checkout.sessions.retrieve(session.id)
    assert again.status == "open"
    assert again.payment_status == "unpaid"
    assert again.payment_intent is None


def test_declined_card_records_a_failed_charge_and_a_retry_can_succeed(sdk):
    session = create_session(sdk)
    pay(session, card=CARD_NO_FUNDS)

    pay(session)

    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    charges = sdk.v1.charges.list(params={"payment_intent": paid.payment_intent}).data
    assert [charge.status for charge in charges] == ["succeeded", "failed"]
    assert charges[1].failure_code == "card_declined"
    assert charges[1].outcome.reason == "insufficient_funds"


def test_invalid_card_number_is_refused_before_any_charge(sdk):
    session = create_session(sdk)

    response = pay(session, card="4242424242424241")

    assert "Your card number is invalid." in response.text
    assert sdk.v1.charges.list().data == []


def test_completed_session_cannot_be_paid_again(sdk):
    session = create_session(sdk)
    pay(session)

    response = pay(session)

    assert response.status_code == 200
    assert "This Checkout Session is complete" in response.text
    assert len(sdk.v1.charges.list().data) == 1


def test_expire_closes_the_session_and_emits_the_event(sdk, receiver):
    session = create_session(sdk)

    expired = sdk.v1.checkout.sessions.expire(session.id)
    wait_for_deliveries()

    assert expired.status == "expired"
    assert expired.url is None
    assert "has expired" in pay(session.url).text
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.checkout.sessions.expire(session.id)
    [delivery] = events_by_type(receiver)["checkout.session.expired"]
    assert delivery["path"] == "/platform"
    assert delivery["event"]["data"]["object"]["id"] == session.id


def test_expires_at_must_be_between_30_minutes_and_24_hours(sdk):
    with pytest.raises(stripe.InvalidRequestError) as too_soon:
        create_session(sdk, expires_at=int(time.time()) + 600)
    with pytest.raises(stripe.InvalidRequestError) as too_late:
        create_session(sdk, expires_at=int(time.time()) + 2 * 86400)

    assert too_soon.value.error.param == "expires_at"
    assert too_late.value.error.param == "expires_at"


def test_customer_creation_always_creates_a_customer_on_the_session_account(sdk):
    account = connected_account(sdk)
    session = create_session(
        sdk,
        account=account.id,
        customer_creation="always",
        customer_email="bo@example.com",
        payment_intent_data={"application_fee_amount": 490},
    )

    pay(session, email="bo@example.com")

    paid = sdk.v1.checkout.sessions.retrieve(session.id, options={"stripe_account": account.id})
    assert paid.customer.startswith("cus_")
    customer = sdk.v1.customers.retrieve(paid.customer, options={"stripe_account": account.id})
    assert customer.email == "bo@example.com"
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.customers.retrieve(paid.customer)


def test_existing_customer_pays_with_their_email(sdk):
    customer = sdk.v1.customers.create(params={"email": "known@example.com"})
    session = create_session(sdk, customer=customer.id)

    pay(session, email="")

    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert paid.customer == customer.id
    assert paid.customer_details.email == "known@example.com"


def test_direct_charge_session_is_invisible_without_the_account_header(sdk):
    account = connected_account(sdk)
    session = create_session(sdk, account=account.id)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.checkout.sessions.retrieve(session.id)

    assert raised.value.http_status == 404
    assert raised.value.error.code == "resource_missing"


def test_sessions_list_filters_by_payment_intent(sdk):
    first = create_session(sdk)
    create_session(sdk)
    pay(first)
    intent = sdk.v1.checkout.sessions.retrieve(first.id).payment_intent

    found = sdk.v1.checkout.sessions.list(params={"payment_intent": intent})

    assert [session.id for session in found.data] == [first.id]


def test_completed_payment_emits_checkout_and_payment_events(sdk, receiver):
    session = create_session(sdk, metadata={"order_id": "9"})

    pay(session)
    wait_for_deliveries()

    events = events_by_type(receiver)
    [completed] = [
        request
        for request in receiver.requests
        if '"checkout.session.completed"' in request["body"]
    ]
    event = stripe.Webhook.construct_event(
        completed["body"], completed["headers"]["Stripe-Signature"], "whsec_sandbox_platform"
    )
    assert completed["path"] == "/platform"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    assert event.data.object.metadata.to_dict() == {"order_id": "9"}
    assert {"payment_intent.succeeded", "charge.succeeded"} <= set(events)


def _pay_by_bank_debit(sdk, **params):
    session = create_session(sdk, **params)
    response = pay(session, card="", expiry="", payment_method_type="us_bank_account")
    return session, response


def test_bank_debit_completes_the_session_unpaid_while_processing(sdk, receiver):
    session, response = _pay_by_bank_debit(sdk)
    wait_for_deliveries()

    assert response.status_code == 303
    done = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    assert done.payment_intent.status == "processing"
    assert sdk.v1.charges.list().data == []
    [completed] = events_by_type(receiver)["checkout.session.completed"]
    assert completed["event"]["data"]["object"]["payment_status"] == "unpaid"


def test_bank_debit_that_succeeds_pays_and_moves_the_money(sdk, receiver, client):
    account = connected_account(sdk).id
    session, _ = _pay_by_bank_debit(
        sdk,
        payment_intent_data={
            "application_fee_amount": 490,
            "transfer_data": {"destination": account},
        },
    )

    response = client.post(
        f"/stripe-sandbox/pay/{session.id}/bank-debit/", {"outcome": "succeeded"}
    )
    wait_for_deliveries()

    assert response.status_code == 302
    paid = sdk.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert paid.payment_status == "paid"
    charge = paid.payment_intent.latest_charge
    assert charge.payment_method_details.type == "us_bank_account"
    assert sdk.v1.transfers.retrieve(charge.transfer).amount == 4900
    [succeeded] = events_by_type(receiver)["checkout.session.async_payment_succeeded"]
    assert succeeded["event"]["data"]["object"]["payment_status"] == "paid"
    assert (
        client.post(
            f"/stripe-sandbox/pay/{session.id}/bank-debit/", {"outcome": "succeeded"}
        ).status_code
        == 400
    )


def test_bank_debit_that_fails_emits_async_payment_failed(sdk, receiver, client):
    session, _ = _pay_by_bank_debit(sdk)

    client.post(f"/stripe-sandbox/pay/{session.id}/bank-debit/", {"outcome": "failed"})
    wait_for_deliveries()

    failed = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (failed.status, failed.payment_status) == ("complete", "unpaid")
    assert failed.payment_intent.status == "requires_payment_method"
    assert "checkout.session.async_payment_failed" in events_by_type(receiver)


def test_expand_line_items_on_retrieve(sdk):
    session = create_session(sdk, items=[one_time_item(amount=700, name="Slides")])

    expanded = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})

    assert [item.description for item in expanded.line_items.data] == ["Slides"]


def test_session_past_its_expiry_expires_when_looked_at(sdk, receiver):
    session = create_session(sdk)
    # Time travel: the session's expires_at moves into the past, as if 24 hours went by.
    row = store.objects().get(id=session.id)
    row.data["expires_at"] = int(time.time()) - 1
    row.save(using=SANDBOX_DATABASE)

    seen = sdk.v1.checkout.sessions.retrieve(session.id)
    wait_for_deliveries()

    assert seen.status == "expired"
    assert "has expired" in requests.get(session.url, timeout=5).text
    assert len(events_by_type(receiver)["checkout.session.expired"]) == 1
