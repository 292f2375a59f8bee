"""Funds that wait for the payout delay, automatic payouts and the failing test bank account."""

import pytest
from django.db import transaction

from stripe_sandbox.models import Event
from stripe_sandbox.resources.payouts import funds_release_now, payouts_run
from stripe_sandbox.routers import SANDBOX_DATABASE
from tests.stripe_sandbox.payment_helpers import create_session, pay
from tests.stripe_sandbox.test_custom_accounts import BANK, custom_account, onboard

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def sold(sdk, account: str) -> None:
    """A $49 destination charge with a $4.90 fee: $44.10 for the account."""
    session = create_session(
        sdk,
        payment_intent_data={
            "application_fee_amount": 490,
            "transfer_data": {"destination": account},
        },
    )
    pay(session)


def usd(entries) -> int:
    return next((entry.amount for entry in entries if entry.currency == "usd"), 0)


def run(action, account: str):
    with transaction.atomic(using=SANDBOX_DATABASE):
        return action(account=account)


def event_types(account: str) -> list[str]:
    return sorted(
        Event.objects.using(SANDBOX_DATABASE)
        .filter(account=account, type__regex=r"^(payout\.|balance\.available)")
        .values_list("type", flat=True)
    )


def test_takings_wait_for_the_delay_then_a_payout_pays_them_out(sdk):
    account = custom_account(sdk).id
    onboard(sdk, account)
    sold(sdk, account)
    on_account = {"stripe_account": account}

    balance = sdk.v1.balance.retrieve(options=on_account)
    assert (usd(balance.available), usd(balance.pending)) == (0, 4410)
    assert run(payouts_run, account) == []  # nothing available yet

    run(funds_release_now, account)
    balance = sdk.v1.balance.retrieve(options=on_account)
    assert (usd(balance.available), usd(balance.pending)) == (4410, 0)

    [payout] = run(payouts_run, account)
    listed = sdk.v1.payouts.list(options=on_account).data
    assert [(p.id, p.status, p.amount, p.currency) for p in listed] == [
        (payout.id, "paid", 4410, "usd")
    ]
    assert listed[0].arrival_date > listed[0].created
    paid_out = sdk.v1.balance_transactions.list(
        params={"payout": payout.id, "expand": ["data.source"]}, options=on_account
    ).data
    by_type = {txn.type: txn for txn in paid_out}
    assert by_type["payout"].amount == -4410
    assert by_type["payment"].net == 4410
    assert by_type["payment"].source.source_transfer.startswith("tr_")
    assert usd(sdk.v1.balance.retrieve(options=on_account).available) == 0
    assert event_types(account) == ["balance.available", "payout.created", "payout.paid"]


def test_a_payout_to_the_failing_test_account_fails_and_the_money_comes_back(sdk):
    account = custom_account(sdk).id
    onboard(sdk, account)
    sold(sdk, account)
    sdk.v1.accounts.external_accounts.create(
        account,
        params={
            "external_account": {**BANK, "account_number": "000111111116"},
            "default_for_currency": True,
        },
    )
    run(funds_release_now, account)

    [payout] = run(payouts_run, account)

    on_account = {"stripe_account": account}
    failed = sdk.v1.payouts.retrieve(payout.id, options=on_account)
    assert (failed.status, failed.failure_code) == ("failed", "no_account")
    assert usd(sdk.v1.balance.retrieve(options=on_account).available) == 4410
    assert event_types(account) == ["balance.available", "payout.created", "payout.failed"]
