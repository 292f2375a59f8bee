"""Funds becoming available and automatic payouts to the connected account's bank.

A connected account's incoming money is `pending` until its `available_on` (the account's
`settings.payouts.schedule.delay_days` later); settling turns due transactions `available` and
sends `balance.available`. A payout run pays each currency's available balance to the default
bank account: `payout.created`, then `payout.paid`, or `payout.failed` for Stripe's failing test
account number (the money comes back with a `payout_failure` transaction). The inspector's
buttons (and tests) make funds available now and run payouts; Stripe does both on a timer, which
the sandbox runs whenever its time moves forward (`time_passes`: a test clock advancing, a
subscription moved to its next period): due funds become available and each account whose
schedule (daily, weekly, monthly; never manual) is due is paid out.
https://docs.stripe.com/connect/payouts-connected-accounts
"""

from __future__ import annotations

from typing import Any

from stripe.params import PayoutListParams, PayoutRetrieveParams

from stripe_sandbox import money, store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject
from stripe_sandbox.routers import SANDBOX_DATABASE

# Stripe's failure codes and messages for its failing test bank accounts.
FAILURE_MESSAGES = {
    "no_account": "The bank account details on file are probably incorrect. No bank account "
    "could be located with those details.",
    "account_closed": "The bank account has been closed.",
}


def _transactions(account: str):
    return store.objects().filter(object_type="balance_transaction", account=account)


def funds_settle(*, account: str, now: int | None = None) -> int:
    """Make pending funds whose `available_on` has come available; how many changed."""
    now = store.now() if now is None else now
    changed = 0
    for row in _transactions(account).filter(data__status="pending"):
        if row.data["available_on"] <= now:
            store.save_object(row, status="available")
            changed += 1
    if changed:
        emit_event("balance.available", money.balance_for(account), account=account)
    return changed


def funds_release_now(*, account: str) -> int:
    """The inspector's "Make funds available now": as if the delay had passed."""
    now = store.now()
    for row in _transactions(account).filter(data__status="pending"):
        store.save_object(row, available_on=now)
    return funds_settle(account=account, now=now)


def _default_bank(account: SandboxObject, currency: str) -> dict[str, Any] | None:
    banks = (account.data.get("external_accounts") or {}).get("data") or []
    for bank in banks:
        if bank.get("currency") == currency and bank.get("default_for_currency"):
            return bank
    return banks[0] if banks else None


def _schedule(connected: SandboxObject) -> dict[str, Any]:
    return ((connected.data.get("settings") or {}).get("payouts") or {}).get("schedule") or {}


def payouts_run(*, account: str, now: int | None = None) -> list[SandboxObject]:
    """Pay out every currency's available balance (automatic payouts), after settling."""
    now = store.now() if now is None else now
    funds_settle(account=account, now=now)
    connected = store.get_object("account", account)
    if _schedule(connected).get("interval") == "manual":
        return []
    connected.internal["payouts_run_at"] = now
    connected.save(using=SANDBOX_DATABASE)
    payouts = []
    for entry in money.balance_for(account)["available"]:
        if entry["amount"] > 0:
            payouts.append(
                _payout_create(connected, amount=entry["amount"], currency=entry["currency"])
            )
    return payouts


def _payout_create(connected: SandboxObject, *, amount: int, currency: str) -> SandboxObject:
    account = connected.id
    bank = _default_bank(connected, currency)
    failure = (connected.internal.get("payout_failures") or {}).get(bank["id"]) if bank else None
    payout_id = store.new_id("po")
    included = list(
        _transactions(account)
        .filter(data__status="available", data__currency=currency)
        .exclude(internal__has_key="payout")
    )
    txn = money.balance_transaction_create(
        account=account, amount=-amount, currency=currency, kind="payout", source=payout_id
    )
    for row in included:
        row.internal["payout"] = payout_id
        store.save_object(row)
    txn.internal["payout"] = payout_id
    store.save_object(txn)
    now = store.now()
    payout = store.create_object(
        "payout",
        {
            "amount": amount,
            "arrival_date": now + money.DAY,
            "automatic": True,
            "balance_transaction": txn.id,
            "currency": currency,
            "description": "STRIPE PAYOUT",
            "destination": bank["id"] if bank else None,
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "metadata": {},
            "method": "standard",
            "reconciliation_status": "completed",
            "source_type": "card",
            "statement_descriptor": None,
            "status": "pending",
            "type": "bank_account",
        },
        account=account,
        object_id=payout_id,
    )
    emit_event("payout.created", payout.data, account=account)
    if failure:
        back = money.balance_transaction_create(
            account=account,
            amount=amount,
            currency=currency,
            kind="payout_failure",
            source=payout_id,
        )
        store.save_object(
            payout,
            status="failed",
            failure_code=failure,
            failure_message=FAILURE_MESSAGES.get(failure, failure),
            failure_balance_transaction=back.id,
        )
        emit_event(
            "payout.failed", payout.data, account=account, previous_attributes={"status": "pending"}
        )
    else:
        store.save_object(payout, status="paid")
        emit_event(
            "payout.paid", payout.data, account=account, previous_attributes={"status": "pending"}
        )
    return payout


# How often each automatic schedule pays out (weekly and monthly anchors are not modelled).
INTERVAL_DAYS = {"daily": 1, "weekly": 7, "monthly": 30}


def time_passes(*, now: int) -> list[SandboxObject]:
    """What Stripe's timer does by `now` on every connected account: funds whose delay has
    passed become available, and an account whose payout schedule is due is paid out."""
    made = []
    for account in connected_accounts_with_funds():
        funds_settle(account=account, now=now)
        connected = store.find_object("account", account)
        if connected is None:
            continue
        days = INTERVAL_DAYS.get(_schedule(connected).get("interval") or "daily")
        last = connected.internal.get("payouts_run_at")
        if days is not None and (last is None or now - last >= days * money.DAY):
            made.extend(payouts_run(account=account, now=now))
    return made


def connected_accounts_with_funds() -> list[str]:
    return sorted(
        set(_transactions_all().exclude(account="").values_list("account", flat=True).distinct())
    )


def _transactions_all():
    return store.objects().filter(object_type="balance_transaction")


@router.route("GET", "/v1/payouts", params=PayoutListParams)
def payout_list(request: ApiRequest) -> dict:
    funds_settle(account=request.account)
    params = request.params
    queryset = store.objects().filter(object_type="payout", account=request.account)
    queryset = store.filter_exact(queryset, params, "status", "destination")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/payouts")


@router.route("GET", "/v1/payouts/{payout}", params=PayoutRetrieveParams)
def payout_retrieve(request: ApiRequest) -> dict:
    return store.get_object("payout", request.path_params["payout"], account=request.account).data
