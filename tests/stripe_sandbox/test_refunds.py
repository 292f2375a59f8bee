"""Refunds and transfer reversals per charge type, with exact amounts.

Paying 4900 USD with a 490 fee leaves (Stripe fee 172): direct -> account 4238, platform 490;
destination -> account 4410, platform 318.
"""

import pytest
import stripe

from stripe_sandbox.webhooks import wait_for_deliveries
from tests.stripe_sandbox.payment_helpers import (
    connected_account,
    create_session,
    events_by_type,
    pay,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def _balance(sdk, account=None):
    options = {"stripe_account": account} if account else {}
    balance = sdk.v1.balance.retrieve(options=options)
    # A connected account's takings are pending for its payout delay; both count as its money.
    return sum(
        entry.amount for entry in [*balance.available, *balance.pending] if entry.currency == "usd"
    )


def _direct_payment(sdk):
    account = connected_account(sdk).id
    session = create_session(
        sdk, account=account, payment_intent_data={"application_fee_amount": 490}
    )
    pay(session)
    intent = sdk.v1.checkout.sessions.retrieve(
        session.id, options={"stripe_account": account}
    ).payment_intent
    return account, intent


def _destination_payment(sdk):
    account = connected_account(sdk).id
    session = create_session(
        sdk,
        payment_intent_data={
            "application_fee_amount": 490,
            "transfer_data": {"destination": account},
        },
    )
    pay(session)
    intent = sdk.v1.checkout.sessions.retrieve(session.id).payment_intent
    charge = sdk.v1.charges.list(params={"payment_intent": intent}).data[0]
    return account, intent, charge


def test_direct_full_refund_on_the_account_returns_the_application_fee(sdk):
    account, intent = _direct_payment(sdk)
    on_account = {"stripe_account": account}

    refund = sdk.v1.refunds.create(
        params={
            "payment_intent": intent,
            "refund_application_fee": True,
            "metadata": {"refund_id": "3"},
        },
        options=on_account,
    )

    assert refund.id.startswith("re_")
    assert (refund.amount, refund.status, refund.payment_intent) == (4900, "succeeded", intent)
    assert refund.metadata.to_dict() == {"refund_id": "3"}
    charge = sdk.v1.charges.retrieve(refund.charge, options=on_account)
    assert (charge.amount_refunded, charge.refunded) == (4900, True)
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (490, True)
    assert _balance(sdk) == 0
    assert _balance(sdk, account) == 4238 - 4900 + 490
    assert sdk.v1.refunds.retrieve(refund.id, options=on_account).amount == 4900


def test_direct_charge_cannot_be_refunded_without_the_account_header(sdk):
    _, intent = _direct_payment(sdk)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.refunds.create(params={"payment_intent": intent})

    assert raised.value.http_status == 404


def test_partial_refunds_return_the_fee_in_proportion_until_fully_refunded(sdk):
    account, intent = _direct_payment(sdk)
    on_account = {"stripe_account": account}
    params = {"payment_intent": intent, "refund_application_fee": True}

    sdk.v1.refunds.create(params={**params, "amount": 1000}, options=on_account)
    charge = sdk.v1.charges.list(params={"payment_intent": intent}, options=on_account).data[0]
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert (charge.amount_refunded, charge.refunded) == (1000, False)
    assert (fee.amount_refunded, fee.refunded) == (100, False)

    last = sdk.v1.refunds.create(params=params, options=on_account)

    assert last.amount == 3900
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (490, True)
    refunds = sdk.v1.refunds.list(params={"charge": charge.id}, options=on_account).data
    assert [refund.amount for refund in refunds] == [3900, 1000]


def test_refunding_more_than_remains_is_refused(sdk):
    account, intent = _direct_payment(sdk)
    on_account = {"stripe_account": account}
    sdk.v1.refunds.create(params={"payment_intent": intent, "amount": 4000}, options=on_account)

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        sdk.v1.refunds.create(params={"payment_intent": intent, "amount": 901}, options=on_account)
    sdk.v1.refunds.create(params={"payment_intent": intent}, options=on_account)
    with pytest.raises(stripe.InvalidRequestError) as again:
        sdk.v1.refunds.create(params={"payment_intent": intent}, options=on_account)

    assert too_much.value.error.code == "amount_too_large"
    assert too_much.value.error.param == "amount"
    assert again.value.error.code == "charge_already_refunded"


def test_destination_partial_refund_reverses_transfer_and_fee_in_proportion(sdk):
    account, intent, charge = _destination_payment(sdk)

    refund = sdk.v1.refunds.create(
        params={
            "payment_intent": intent,
            "amount": 2450,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )

    reversal_id = refund.transfer_reversal
    assert reversal_id.startswith("trr_")
    transfer = sdk.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (2450, False)
    [reversal] = transfer.reversals.data
    assert (reversal.id, reversal.amount, reversal.source_refund) == (reversal_id, 2450, refund.id)
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert fee.amount_refunded == 245
    payment = sdk.v1.charges.retrieve(
        transfer.destination_payment, options={"stripe_account": account}
    )
    assert payment.amount_refunded == 2450
    assert _balance(sdk, account) == 4410 - 2450 + 245
    assert _balance(sdk) == 318 - 2450 + 2450 - 245


def test_destination_full_refund_reverses_everything(sdk):
    account, intent, charge = _destination_payment(sdk)

    sdk.v1.refunds.create(
        params={
            "charge": charge.id,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )

    transfer = sdk.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (4900, True)
    assert sdk.v1.application_fees.retrieve(charge.application_fee).refunded is True
    assert _balance(sdk, account) == 0
    assert _balance(sdk) == -172


def test_refund_without_reversing_leaves_the_platform_to_bear_it(sdk):
    account, intent, charge = _destination_payment(sdk)

    sdk.v1.refunds.create(params={"payment_intent": intent})

    assert sdk.v1.transfers.retrieve(charge.transfer).amount_reversed == 0
    assert _balance(sdk, account) == 4410
    assert _balance(sdk) == 318 - 4900


def test_reverse_transfer_needs_a_charge_with_a_transfer(sdk):
    session = create_session(sdk, payment_intent_data={"transfer_group": "order-1"})
    pay(session)
    intent = sdk.v1.checkout.sessions.retrieve(session.id).payment_intent

    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.refunds.create(params={"payment_intent": intent, "reverse_transfer": True})

    assert raised.value.error.param == "reverse_transfer"


def test_separate_charge_refund_and_transfer_reversals(sdk):
    account = connected_account(sdk).id
    session = create_session(sdk, payment_intent_data={"transfer_group": "order-2"})
    pay(session)
    intent = sdk.v1.checkout.sessions.retrieve(session.id).payment_intent
    charge = sdk.v1.charges.list(params={"payment_intent": intent}).data[0]
    transfer = sdk.v1.transfers.create(
        params={
            "amount": 4410,
            "currency": "usd",
            "destination": account,
            "source_transaction": charge.id,
            "transfer_group": "order-2",
        }
    )

    sdk.v1.refunds.create(params={"payment_intent": intent, "amount": 2450})
    first = sdk.v1.transfers.reversals.create(
        transfer.id, params={"amount": 2205, "metadata": {"refund_id": "4"}}
    )

    assert first.id.startswith("trr_")
    assert (first.amount, first.transfer) == (2205, transfer.id)
    assert first.metadata.to_dict() == {"refund_id": "4"}
    after = sdk.v1.transfers.retrieve(transfer.id)
    assert (after.amount_reversed, after.reversed) == (2205, False)
    assert _balance(sdk, account) == 2205

    rest = sdk.v1.transfers.reversals.create(transfer.id)

    assert rest.amount == 2205
    assert sdk.v1.transfers.retrieve(transfer.id).reversed is True
    listed = sdk.v1.transfers.reversals.list(transfer.id).data
    assert [reversal.id for reversal in listed] == [rest.id, first.id]
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.transfers.reversals.create(transfer.id, params={"amount": 1})


def test_refund_events_go_where_the_charge_lives(sdk, receiver):
    account, intent = _direct_payment(sdk)
    wait_for_deliveries()
    receiver.requests.clear()

    sdk.v1.refunds.create(
        params={"payment_intent": intent, "amount": 1000, "refund_application_fee": True},
        options={"stripe_account": account},
    )
    wait_for_deliveries()

    events = events_by_type(receiver)
    [refunded] = events["charge.refunded"]
    assert refunded["path"] == "/connect"
    assert refunded["event"]["account"] == account
    assert refunded["event"]["data"]["object"]["amount_refunded"] == 1000
    assert refunded["event"]["data"]["previous_attributes"]["amount_refunded"] == 0
    assert events["refund.created"][0]["path"] == "/connect"
    [fee_refunded] = events["application_fee.refunded"]
    assert fee_refunded["path"] == "/platform"
    assert fee_refunded["event"]["data"]["object"]["amount_refunded"] == 100


def test_transfer_reversal_emits_transfer_reversed_to_the_platform(sdk, receiver):
    _, intent, charge = _destination_payment(sdk)
    wait_for_deliveries()
    receiver.requests.clear()

    sdk.v1.transfers.reversals.create(charge.transfer, params={"amount": 100})
    wait_for_deliveries()

    [reversed_event] = events_by_type(receiver)["transfer.reversed"]
    assert reversed_event["path"] == "/platform"
    assert reversed_event["event"]["data"]["object"]["amount_reversed"] == 100
