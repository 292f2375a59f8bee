import time

import pytest
import requests
import stripe

from stripe_sandbox.webhooks import wait_for_deliveries
from tests.stripe_sandbox.payment_helpers import (
    CARD_DECLINED,
    CARD_FAILS_ON_RENEWAL,
    connected_account,
    create_session,
    events_by_type,
    one_time_item,
    pay,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def monthly_item(amount=900, currency="usd"):
    return {
        "quantity": 1,
        "price_data": {
            "currency": currency,
            "unit_amount": amount,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Membership"},
        },
    }


def _subscribe(sdk, *, card="4242424242424242", account=None, customer=None, **params):
    extra = {"customer": customer} if customer else {}
    session = create_session(
        sdk, account=account, mode="subscription", items=[monthly_item()], **extra, **params
    )
    response = pay(session, card=card, email="sub@example.com")
    options = {"stripe_account": account} if account else {}
    return response, sdk.v1.checkout.sessions.retrieve(session.id, options=options)


def _clock_customer(sdk):
    clock = sdk.v1.test_helpers.test_clocks.create(params={"frozen_time": int(time.time())})
    customer = sdk.v1.customers.create(params={"email": "sub@example.com", "test_clock": clock.id})
    return clock, customer


def _advance_past_period(sdk, clock, subscription):
    period_end = subscription["items"].data[0].current_period_end
    return sdk.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": period_end + 60}
    )


def test_subscription_checkout_starts_a_paid_subscription(sdk):
    response, session = _subscribe(sdk)

    assert response.status_code == 303
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.payment_intent is None
    subscription = sdk.v1.subscriptions.retrieve(session.subscription)
    assert subscription.id.startswith("sub_")
    assert subscription.status == "active"
    assert subscription.customer == session.customer
    assert subscription.default_payment_method.startswith("pm_")
    item = subscription["items"].data[0]
    assert item.price.recurring.interval == "month"
    assert 27 * 86400 < item.current_period_end - item.current_period_start <= 31 * 86400
    invoice = sdk.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.id == session.invoice
    assert (invoice.status, invoice.amount_paid, invoice.total) == ("paid", 900, 900)
    assert invoice.billing_reason == "subscription_create"
    assert invoice.parent.subscription_details.subscription == subscription.id
    intent = sdk.v1.payment_intents.retrieve(invoice.payments.data[0].payment.payment_intent)
    assert (intent.status, intent.amount_received) == ("succeeded", 900)
    customer = sdk.v1.customers.retrieve(session.customer)
    assert customer.invoice_settings.default_payment_method == subscription.default_payment_method


def test_subscription_events_reach_the_platform(sdk, receiver):
    _subscribe(sdk)
    wait_for_deliveries()

    events = events_by_type(receiver)

    for event_type in (
        "customer.subscription.created",
        "invoice.paid",
        "checkout.session.completed",
    ):
        assert events[event_type][0]["path"] == "/platform"
    created = events["customer.subscription.created"][0]["event"]["data"]["object"]
    assert created["status"] == "active"


def test_declined_card_starts_no_subscription(sdk):
    response, session = _subscribe(sdk, card=CARD_DECLINED)

    assert "Your card was declined." in response.text
    assert session.status == "open"
    assert session.subscription is None
    assert sdk.v1.subscriptions.list().data == []


def test_application_fee_percent_applies_to_a_direct_subscription(sdk):
    account = connected_account(sdk).id

    _, session = _subscribe(sdk, account=account, subscription_data={"application_fee_percent": 10})

    on_account = {"stripe_account": account}
    subscription = sdk.v1.subscriptions.retrieve(session.subscription, options=on_account)
    assert subscription.application_fee_percent == 10
    [fee] = sdk.v1.application_fees.list().data
    assert (fee.amount, fee.account) == (90, account)


def test_destination_subscription_transfers_each_invoice(sdk):
    account = connected_account(sdk).id
    clock, customer = _clock_customer(sdk)
    _, session = _subscribe(
        sdk,
        customer=customer.id,
        subscription_data={
            "application_fee_percent": 10,
            "transfer_data": {"destination": account},
        },
    )
    subscription = sdk.v1.subscriptions.retrieve(session.subscription)

    _advance_past_period(sdk, clock, subscription)

    transfers = sdk.v1.transfers.list(params={"destination": account}).data
    assert [transfer.amount for transfer in transfers] == [900, 900]
    assert [fee.amount for fee in sdk.v1.application_fees.list().data] == [90, 90]


def test_advancing_the_clock_renews_with_the_saved_card(sdk, receiver):
    clock, customer = _clock_customer(sdk)
    _, session = _subscribe(sdk, customer=customer.id)
    subscription = sdk.v1.subscriptions.retrieve(session.subscription)
    first_end = subscription["items"].data[0].current_period_end
    wait_for_deliveries()
    receiver.requests.clear()

    advanced = _advance_past_period(sdk, clock, subscription)
    wait_for_deliveries()

    assert advanced.status == "ready"
    renewed = sdk.v1.subscriptions.retrieve(subscription.id)
    assert renewed.status == "active"
    assert renewed["items"].data[0].current_period_start == first_end
    invoice = sdk.v1.invoices.retrieve(renewed.latest_invoice)
    assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_cycle")
    assert invoice.period_start == first_end
    invoices = sdk.v1.invoices.list(params={"subscription": subscription.id}).data
    assert len(invoices) == 2
    events = events_by_type(receiver)
    assert events["invoice.paid"][0]["event"]["data"]["object"]["id"] == invoice.id
    assert "invoice.payment_failed" not in events


def test_renewal_with_the_failing_card_makes_the_subscription_past_due(sdk, receiver):
    clock, customer = _clock_customer(sdk)
    _, session = _subscribe(sdk, customer=customer.id, card=CARD_FAILS_ON_RENEWAL)
    subscription = sdk.v1.subscriptions.retrieve(session.subscription)
    assert subscription.status == "active"
    wait_for_deliveries()
    receiver.requests.clear()

    _advance_past_period(sdk, clock, subscription)
    wait_for_deliveries()

    renewed = sdk.v1.subscriptions.retrieve(subscription.id)
    assert renewed.status == "past_due"
    invoice = sdk.v1.invoices.retrieve(renewed.latest_invoice)
    assert (invoice.status, invoice.attempt_count, invoice.amount_paid) == ("open", 1, 0)
    events = events_by_type(receiver)
    [failed] = events["invoice.payment_failed"]
    assert failed["event"]["data"]["object"]["id"] == invoice.id
    updated = events["customer.subscription.updated"][0]["event"]["data"]
    assert updated["object"]["status"] == "past_due"
    assert updated["previous_attributes"]["status"] == "active"
    with pytest.raises(stripe.CardError) as raised:
        sdk.v1.invoices.pay(invoice.id)
    assert raised.value.code == "card_declined"


def test_cancel_at_period_end_ends_the_subscription_when_the_period_ends(sdk, receiver):
    clock, customer = _clock_customer(sdk)
    _, session = _subscribe(sdk, customer=customer.id)
    subscription = sdk.v1.subscriptions.update(
        session.subscription, params={"cancel_at_period_end": True}
    )
    assert subscription.cancel_at_period_end is True
    assert subscription.cancel_at == subscription["items"].data[0].current_period_end
    assert subscription.status == "active"

    _advance_past_period(sdk, clock, subscription)
    wait_for_deliveries()

    ended = sdk.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled"
    assert ended.ended_at == subscription.cancel_at
    assert len(sdk.v1.invoices.list(params={"subscription": subscription.id}).data) == 1
    assert "customer.subscription.deleted" in events_by_type(receiver)


def test_delete_cancels_at_once(sdk):
    _, session = _subscribe(sdk)

    canceled = sdk.v1.subscriptions.cancel(session.subscription)

    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    assert sdk.v1.subscriptions.list().data == []
    assert len(sdk.v1.subscriptions.list(params={"status": "canceled"}).data) == 1
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.subscriptions.cancel(session.subscription)


def test_mode_and_prices_must_agree(sdk):
    with pytest.raises(stripe.InvalidRequestError) as recurring_in_payment:
        create_session(sdk, items=[monthly_item()])
    with pytest.raises(stripe.InvalidRequestError) as one_time_only:
        create_session(sdk, mode="subscription", items=[one_time_item()])
    with pytest.raises(stripe.InvalidRequestError) as wrong_data:
        create_session(
            sdk,
            mode="subscription",
            items=[monthly_item()],
            payment_intent_data={"metadata": {"a": "b"}},
        )

    assert recurring_in_payment.value.error.param == "line_items[0][price]"
    assert one_time_only.value.error.param == "line_items"
    assert wrong_data.value.error.param == "payment_intent_data"


def test_subscription_page_shows_the_interval(sdk):
    session = create_session(sdk, mode="subscription", items=[monthly_item()])

    page = requests.get(session.url, timeout=5)

    assert "$9.00 per month" in page.text
    assert "Subscribe" in page.text


def test_an_invoice_carries_the_application_fee_and_a_failed_one_its_next_attempt(sdk):
    account = connected_account(sdk).id
    on_account = {"stripe_account": account}
    _, session = _subscribe(
        sdk,
        account=account,
        card=CARD_FAILS_ON_RENEWAL,
        subscription_data={"application_fee_percent": 12.5},
    )
    invoice = sdk.v1.invoices.retrieve(session.invoice, options=on_account)
    assert (invoice.amount_paid, invoice.application_fee_amount) == (900, 113)  # half up
    assert invoice.next_payment_attempt is None

    subscription = sdk.v1.subscriptions.retrieve(session.subscription, options=on_account)
    from django.db import transaction

    from stripe_sandbox import store
    from stripe_sandbox.resources.subscriptions import subscription_advance
    from stripe_sandbox.routers import SANDBOX_DATABASE

    with transaction.atomic(using=SANDBOX_DATABASE):
        subscription_advance(store.find_object("subscription", subscription.id, account=account))
    failed = sdk.v1.invoices.list(
        params={"subscription": subscription.id, "status": "open"}, options=on_account
    ).data[0]
    assert failed.attempt_count == 1
    assert failed.next_payment_attempt == failed.created + 3 * 86400


def test_setup_mode_saves_a_card_for_the_customer_without_charging(sdk):
    customer = sdk.v1.customers.create(params={"email": "card@example.com"})
    with pytest.raises(stripe.InvalidRequestError, match="currency"):
        sdk.v1.checkout.sessions.create(
            params={"mode": "setup", "customer": customer.id, "success_url": "http://x.test/"}
        )
    with pytest.raises(stripe.InvalidRequestError, match="line_items"):
        create_session(sdk, mode="setup", customer=customer.id, currency="usd")
    session = sdk.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "customer": customer.id,
            "setup_intent_data": {"metadata": {"membership_id": "7"}},
            "success_url": "http://shop.example/card?session_id={CHECKOUT_SESSION_ID}",
        }
    )
    assert (session.amount_total, session.payment_status) == (None, "no_payment_required")

    response = pay(session, card="4242424242424242", email="card@example.com")

    assert response.status_code == 303
    done = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent"]})
    assert done.status == "complete"
    intent = done.setup_intent
    assert (intent.status, intent.customer, intent.metadata["membership_id"]) == (
        "succeeded",
        customer.id,
        "7",
    )
    method = sdk.v1.payment_methods.retrieve(intent.payment_method)
    assert method.customer == customer.id
    assert sdk.v1.charges.list().data == []


def test_a_subscription_takes_only_its_customers_card_as_default(sdk):
    _, session = _subscribe(sdk)
    other = sdk.v1.customers.create(params={"email": "other@example.com"})
    setup = sdk.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "customer": other.id,
            "success_url": "http://shop.example/",
        }
    )
    pay(setup, card="4242424242424242", email="other@example.com")
    foreign = sdk.v1.checkout.sessions.retrieve(setup.id, params={"expand": ["setup_intent"]})
    with pytest.raises(stripe.InvalidRequestError, match="attached to the customer"):
        sdk.v1.subscriptions.update(
            session.subscription,
            params={"default_payment_method": foreign.setup_intent.payment_method},
        )


def test_a_failed_renewal_is_retried_on_schedule_then_the_subscription_is_canceled(sdk, receiver):
    clock, customer = _clock_customer(sdk)
    _, session = _subscribe(sdk, customer=customer.id, card=CARD_FAILS_ON_RENEWAL)
    subscription = sdk.v1.subscriptions.retrieve(session.subscription)
    _advance_past_period(sdk, clock, subscription)
    failed = sdk.v1.invoices.retrieve(sdk.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    first_retry = failed.next_payment_attempt
    assert first_retry == failed.created + 3 * 86400

    # Just before the retry nothing happens; at it, the second attempt fails (next in 5 days).
    sdk.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": first_retry - 60})
    assert sdk.v1.invoices.retrieve(failed.id).attempt_count == 1
    sdk.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": first_retry + 60})
    retried = sdk.v1.invoices.retrieve(failed.id)
    assert (retried.attempt_count, retried.next_payment_attempt) == (
        2,
        first_retry + 60 + 5 * 86400,
    )
    assert sdk.v1.subscriptions.retrieve(subscription.id).status == "past_due"

    # The third and fourth attempts fail too, each when due; then it is canceled.
    for _ in range(2):
        due = sdk.v1.invoices.retrieve(failed.id).next_payment_attempt
        sdk.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": due + 60})
    ended = sdk.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled"
    assert ended.cancellation_details.reason == "payment_failed"
    assert sdk.v1.invoices.retrieve(failed.id).attempt_count == 4
    wait_for_deliveries()
    events = events_by_type(receiver)
    assert len(events["invoice.payment_failed"]) == 4
    assert len(events["customer.subscription.deleted"]) == 1
