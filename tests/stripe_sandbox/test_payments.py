"""Money flows of the three Connect charge types, with exact amounts.

The sandbox's Stripe fee on 4900 USD is 2.9% (142.1 -> 142) + 30 = 172.
"""

import pytest
import stripe

from stripe_sandbox.webhooks import wait_for_deliveries
from tests.stripe_sandbox.payment_helpers import (
    connected_account,
    create_session,
    events_by_type,
    one_time_item,
    pay,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def _paid_charge(sdk, session, account=None):
    options = {"stripe_account": account} if account else {}
    pay(session)
    paid = sdk.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}, options=options
    )
    assert paid.payment_status == "paid"
    return paid.payment_intent, paid.payment_intent.latest_charge


def _balance(sdk, account=None, currency="usd"):
    options = {"stripe_account": account} if account else {}
    balance = sdk.v1.balance.retrieve(options=options)
    # A connected account's takings are pending for its payout delay; both count as its money.
    return sum(
        entry.amount
        for entry in [*balance.available, *balance.pending]
        if entry.currency == currency
    )


def test_direct_charge_lives_on_the_connected_account_and_pays_the_platform_its_fee(sdk):
    account = connected_account(sdk).id
    on_account = {"stripe_account": account}
    session = create_session(
        sdk,
        account=account,
        payment_intent_data={"application_fee_amount": 490, "metadata": {"order_id": "1"}},
    )

    intent, charge = _paid_charge(sdk, session, account)

    assert intent.status == "succeeded"
    assert intent.amount_received == 4900
    assert intent.application_fee_amount == 490
    assert intent.metadata.to_dict() == {"order_id": "1"}
    assert charge.id.startswith("ch_")
    assert charge.amount == 4900
    assert charge.amount_captured == 4900
    assert charge.paid is True
    assert charge.status == "succeeded"
    assert charge.transfer is None
    txn = sdk.v1.balance_transactions.retrieve(charge.balance_transaction, options=on_account)
    assert txn.id.startswith("txn_")
    assert (txn.amount, txn.fee, txn.net) == (4900, 172 + 490, 4238)
    assert {detail.type: detail.amount for detail in txn.fee_details} == {
        "stripe_fee": 172,
        "application_fee": 490,
    }
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert fee.id.startswith("fee_")
    assert (fee.amount, fee.account, fee.charge) == (490, account, charge.id)
    assert fee.originating_transaction is None
    assert _balance(sdk, account) == 4238
    assert _balance(sdk) == 490
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.charges.retrieve(charge.id)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.payment_intents.retrieve(intent.id)


def test_destination_charge_transfers_the_amount_and_collects_the_fee_back(sdk):
    account = connected_account(sdk).id
    session = create_session(
        sdk,
        payment_intent_data={
            "application_fee_amount": 490,
            "transfer_data": {"destination": account},
        },
    )

    intent, charge = _paid_charge(sdk, session)

    assert intent.transfer_data.destination == account
    assert charge.destination == account
    assert charge.transfer_group == f"group_{intent.id}"
    txn = sdk.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.amount, txn.fee, txn.net) == (4900, 172, 4728)
    transfer = sdk.v1.transfers.retrieve(charge.transfer)
    assert transfer.id.startswith("tr_")
    assert (transfer.amount, transfer.destination) == (4900, account)
    assert transfer.source_transaction == charge.id
    assert transfer.destination_payment.startswith("py_")
    payment = sdk.v1.charges.retrieve(
        transfer.destination_payment, options={"stripe_account": account}
    )
    assert payment.amount == 4900
    assert payment.source_transfer == transfer.id
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account) == (490, account)
    assert fee.charge == payment.id
    assert fee.originating_transaction == charge.id
    assert _balance(sdk, account) == 4900 - 490
    assert _balance(sdk) == 4728 - 4900 + 490


def test_destination_charge_with_a_transfer_amount_sends_only_that(sdk):
    account = connected_account(sdk).id
    session = create_session(
        sdk, payment_intent_data={"transfer_data": {"destination": account, "amount": 4000}}
    )

    _, charge = _paid_charge(sdk, session)

    assert sdk.v1.transfers.retrieve(charge.transfer).amount == 4000
    assert charge.application_fee is None
    assert _balance(sdk, account) == 4000
    assert _balance(sdk) == 4728 - 4000


def test_transfer_amount_and_application_fee_cannot_be_combined(sdk):
    account = connected_account(sdk).id

    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(
            sdk,
            payment_intent_data={
                "application_fee_amount": 490,
                "transfer_data": {"destination": account, "amount": 4000},
            },
        )

    assert raised.value.error.param == "payment_intent_data[application_fee_amount]"


def test_destination_must_be_a_connected_account(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(sdk, payment_intent_data={"transfer_data": {"destination": "acct_1Nope"}})

    assert raised.value.error.code == "resource_missing"


def test_separate_charge_moves_nothing_until_the_app_transfers(sdk):
    account = connected_account(sdk).id
    session = create_session(sdk, payment_intent_data={"transfer_group": "order-5"})
    _, charge = _paid_charge(sdk, session)
    assert charge.transfer is None
    assert charge.transfer_group == "order-5"
    assert _balance(sdk, account) == 0

    transfer = sdk.v1.transfers.create(
        params={
            "amount": 4410,
            "currency": "usd",
            "destination": account,
            "transfer_group": "order-5",
            "source_transaction": charge.id,
        }
    )

    assert transfer.amount == 4410
    assert transfer.source_transaction == charge.id
    assert transfer.transfer_group == "order-5"
    assert _balance(sdk, account) == 4410
    assert _balance(sdk) == 4728 - 4410
    listed = sdk.v1.transfers.list(params={"transfer_group": "order-5"}).data
    assert [item.id for item in listed] == [transfer.id]
    assert [item.id for item in sdk.v1.transfers.list(params={"destination": account}).data] == [
        transfer.id
    ]


def test_separate_transfer_cannot_exceed_what_remains_of_its_charge(sdk):
    account = connected_account(sdk).id
    _, charge = _paid_charge(sdk, create_session(sdk))
    params = {"currency": "usd", "destination": account, "source_transaction": charge.id}
    sdk.v1.transfers.create(params={**params, "amount": 4000})

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        sdk.v1.transfers.create(params={**params, "amount": 901})
    with pytest.raises(stripe.InvalidRequestError) as wrong_currency:
        sdk.v1.transfers.create(params={**params, "amount": 100, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as unknown_charge:
        sdk.v1.transfers.create(params={**params, "amount": 100, "source_transaction": "ch_1No"})

    assert too_much.value.error.param == "amount"
    assert wrong_currency.value.error.param == "currency"
    assert unknown_charge.value.error.code == "resource_missing"
    assert sdk.v1.transfers.create(params={**params, "amount": 900}).amount == 900


def test_transfer_without_a_source_needs_available_platform_funds(sdk):
    account = connected_account(sdk).id

    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": account})

    assert raised.value.error.code == "balance_insufficient"


def test_zero_decimal_currency_amounts_are_whole_yen(sdk):
    account = connected_account(sdk).id
    session = create_session(
        sdk,
        items=[one_time_item(amount=4900, currency="jpy")],
        payment_intent_data={
            "application_fee_amount": 490,
            "transfer_data": {"destination": account},
        },
    )

    _, charge = _paid_charge(sdk, session)

    txn = sdk.v1.balance_transactions.retrieve(charge.balance_transaction)
    # 3.6% of 4900 = 176.4 -> 176 yen, no fixed part.
    assert (txn.currency, txn.fee, txn.net) == ("jpy", 176, 4724)
    assert _balance(sdk, account, "jpy") == 4410


def test_direct_charge_events_go_to_connect_and_the_fee_event_to_the_platform(sdk, receiver):
    account = connected_account(sdk).id
    session = create_session(
        sdk, account=account, payment_intent_data={"application_fee_amount": 490}
    )

    pay(session)
    wait_for_deliveries()

    events = events_by_type(receiver)
    for event_type in (
        "checkout.session.completed",
        "payment_intent.succeeded",
        "charge.succeeded",
    ):
        [delivery] = events[event_type]
        assert delivery["path"] == "/connect"
        assert delivery["event"]["account"] == account
    [fee_event] = events["application_fee.created"]
    assert fee_event["path"] == "/platform"
    assert "account" not in fee_event["event"]
    for request in receiver.requests:
        secret = (
            "whsec_sandbox_connect" if request["path"] == "/connect" else "whsec_sandbox_platform"
        )
        stripe.Webhook.construct_event(
            request["body"], request["headers"]["Stripe-Signature"], secret
        )


def test_destination_charge_events_all_go_to_the_platform(sdk, receiver):
    account = connected_account(sdk).id
    session = create_session(
        sdk,
        payment_intent_data={
            "application_fee_amount": 490,
            "transfer_data": {"destination": account},
        },
    )

    pay(session)
    wait_for_deliveries()

    events = events_by_type(receiver)
    for event_type in (
        "checkout.session.completed",
        "payment_intent.succeeded",
        "charge.succeeded",
        "application_fee.created",
        "transfer.created",
    ):
        [delivery] = events[event_type]
        assert delivery["path"] == "/platform", event_type
        assert "account" not in delivery["event"]


def test_declined_payment_emits_failure_events(sdk, receiver):
    session = create_session(sdk)

    pay(session, card="4000000000000002")
    wait_for_deliveries()

    events = events_by_type(receiver)
    [failed] = events["payment_intent.payment_failed"]
    error = failed["event"]["data"]["object"]["last_payment_error"]
    assert (error["code"], error["decline_code"]) == ("card_declined", "generic_decline")
    assert "charge.failed" in events
    assert "checkout.session.completed" not in events


def test_payment_objects_list_and_filter(sdk):
    account = connected_account(sdk).id
    session = create_session(
        sdk,
        payment_intent_data={
            "application_fee_amount": 490,
            "transfer_data": {"destination": account},
        },
    )
    intent, charge = _paid_charge(sdk, session)

    assert [item.id for item in sdk.v1.payment_intents.list().data] == [intent.id]
    assert [item.id for item in sdk.v1.charges.list(params={"payment_intent": intent.id})] == [
        charge.id
    ]
    fees = sdk.v1.application_fees.list()
    assert [item.id for item in fees.data] == [charge.application_fee]
    types = {item.type for item in sdk.v1.balance_transactions.list().data}
    assert types == {"charge", "transfer", "application_fee"}


def test_dispute_card_disputes_the_charge_on_its_account(sdk, receiver):
    account = connected_account(sdk).id
    session = create_session(
        sdk, account=account, payment_intent_data={"application_fee_amount": 490}
    )

    pay(session, card="4000000000000259")
    wait_for_deliveries()

    on_account = {"stripe_account": account}
    intent = sdk.v1.checkout.sessions.retrieve(session.id, options=on_account).payment_intent
    charge = sdk.v1.charges.list(params={"payment_intent": intent}, options=on_account).data[0]
    assert charge.disputed is True
    [dispute] = sdk.v1.disputes.list(params={"charge": charge.id}, options=on_account).data
    assert dispute.id.startswith("dp_")
    assert (dispute.amount, dispute.reason, dispute.status) == (
        4900,
        "fraudulent",
        "needs_response",
    )
    assert _balance(sdk, account) == 4238 - 4900 - 1500
    [created] = events_by_type(receiver)["charge.dispute.created"]
    assert created["path"] == "/connect"
    assert created["event"]["data"]["object"]["charge"] == charge.id
