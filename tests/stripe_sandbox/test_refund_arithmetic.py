"""The sandbox's refund arithmetic, where the app's figures depend on it: proportional fee
refunds round half up and the last one takes the exact remainder, a
charge's transferable amount leaves out what was refunded, and `refunded` is true exactly when
the whole amount is."""

import pytest
import stripe

from tests.stripe_sandbox.payment_helpers import (
    connected_account,
    create_session,
    one_time_item,
    pay,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def _direct_charge(sdk, *, amount: int, currency: str, fee: int):
    account = connected_account(sdk).id
    on_account = {"stripe_account": account}
    session = create_session(
        sdk,
        account=account,
        items=[one_time_item(amount=amount, currency=currency)],
        payment_intent_data={"application_fee_amount": fee},
    )
    pay(session)
    intent = sdk.v1.checkout.sessions.retrieve(session.id, options=on_account).payment_intent
    charge = sdk.v1.charges.list(params={"payment_intent": intent}, options=on_account).data[0]
    return on_account, charge


@pytest.mark.parametrize(
    ("currency", "amount", "fee", "refunds", "fee_refunds"),
    [
        # A 10 % fee: 100.4 rounds down, 100.5 and 100.6 up, 1.4 down five times; the last
        # takes 490 - 307 = 183, more than its own 181.5.
        (
            "usd",
            4900,
            490,
            [1004, 1005, 1006, 14, 14, 14, 14, 14],
            [100, 101, 101, 1, 1, 1, 1, 1, 183],
        ),
        # A 15 % fee in yen: ¥4.5 up, ¥1.65 up, ¥3.45 down five times; the last takes
        # ¥150 - ¥22 = ¥128, more than its own ¥126.6.
        ("jpy", 1000, 150, [30, 11, 23, 23, 23, 23, 23], [5, 2, 3, 3, 3, 3, 3, 128]),
    ],
)
def test_fee_refunds_round_half_up_and_the_last_takes_the_rest(
    sdk, currency, amount, fee, refunds, fee_refunds
):
    on_account, charge = _direct_charge(sdk, amount=amount, currency=currency, fee=fee)
    params = {"charge": charge.id, "refund_application_fee": True}
    returned, before = [], 0

    for part in [*refunds, None]:
        partial = {} if part is None else {"amount": part}
        sdk.v1.refunds.create(params={**params, **partial}, options=on_account)
        application_fee = sdk.v1.application_fees.retrieve(charge.application_fee)
        returned.append(application_fee.amount_refunded - before)
        before = application_fee.amount_refunded
        assert application_fee.refunded is (part is None)

    assert returned == fee_refunds
    assert before == fee


def test_a_charge_is_refunded_exactly_when_its_whole_amount_is(sdk):
    on_account, charge = _direct_charge(sdk, amount=4900, currency="usd", fee=490)

    sdk.v1.refunds.create(params={"charge": charge.id, "amount": 4899}, options=on_account)
    almost = sdk.v1.charges.retrieve(charge.id, options=on_account)
    sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1}, options=on_account)
    whole = sdk.v1.charges.retrieve(charge.id, options=on_account)

    assert (almost.amount_refunded, almost.refunded) == (4899, False)
    assert (whole.amount_refunded, whole.refunded) == (4900, True)


def test_the_transferable_amount_of_a_charge_leaves_out_what_was_refunded(sdk):
    account = connected_account(sdk).id
    session = create_session(sdk, payment_intent_data={"transfer_group": "order-9"})
    pay(session)
    intent = sdk.v1.checkout.sessions.retrieve(session.id).payment_intent
    charge = sdk.v1.charges.list(params={"payment_intent": intent}).data[0]
    sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    transfer = {"currency": "usd", "destination": account, "source_transaction": charge.id}

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        sdk.v1.transfers.create(params={**transfer, "amount": 3901})
    made = sdk.v1.transfers.create(params={**transfer, "amount": 3000})
    with pytest.raises(stripe.InvalidRequestError) as again:
        sdk.v1.transfers.create(params={**transfer, "amount": 901})
    rest = sdk.v1.transfers.create(params={**transfer, "amount": 900})

    assert too_much.value.error.code == "balance_insufficient"
    assert again.value.error.code == "balance_insufficient"
    assert (made.amount, rest.amount) == (3000, 900)
