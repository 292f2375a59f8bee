"""Payment intents, charges, balance transactions, application fees and refunds.

How money moves when a payment succeeds (`payment_intent_attempt`), by charge type:
- direct (the payment intent lives on a connected account, via `Stripe-Account`): the charge and
  its balance transaction are on that account, which pays the Stripe fee and the application fee;
  the ApplicationFee (`fee_`) is on the platform with `account` = the connected account.
- destination (`transfer_data.destination`): the charge is on the platform, which pays the Stripe
  fee; the whole amount (or `transfer_data.amount`) is transferred to the destination and the
  application fee is collected back from it (ApplicationFee with `originating_transaction`).
- separate (neither; typically with `transfer_group`): the charge is on the platform and nothing
  moves until the app calls `POST /v1/transfers` with `source_transaction`.
"""

from __future__ import annotations

import secrets
from typing import Any

from stripe.params import (
    ApplicationFeeListParams,
    ApplicationFeeRetrieveParams,
    BalanceTransactionListParams,
    BalanceTransactionRetrieveParams,
    ChargeListParams,
    ChargeRetrieveParams,
    PaymentIntentListParams,
    PaymentIntentRetrieveParams,
    PaymentMethodRetrieveParams,
    RefundCreateParams,
    RefundListParams,
    RefundRetrieveParams,
)

from stripe_sandbox import money, store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.cards import GENERIC_DECLINE, Card
from stripe_sandbox.errors import CardError, InvalidRequestError
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject
from stripe_sandbox.resources.disputes import dispute_create_object
from stripe_sandbox.resources.transfers import reversal_create_object, transfer_create_object

DIRECT = "direct"
DESTINATION = "destination"
SEPARATE = "separate"


def charge_type_of(payment_intent: dict[str, Any], account: str) -> str:
    if account:
        return DIRECT
    if payment_intent.get("transfer_data"):
        return DESTINATION
    return SEPARATE


def payment_intent_create_object(
    *,
    account: str,
    amount: int,
    currency: str,
    customer: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    application_fee_amount: int | None = None,
    transfer_data: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
    transfer_group: str | None = None,
    receipt_email: str | None = None,
    setup_future_usage: str | None = None,
) -> SandboxObject:
    """A payment intent waiting for a payment method (`requires_payment_method`)."""
    intent_id = store.new_id("pi")
    if transfer_data:
        transfer_data = {"destination": transfer_data["destination"], **transfer_data}
    obj = store.create_object(
        "payment_intent",
        {
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": money.PLATFORM_APPLICATION if account else None,
            "application_fee_amount": application_fee_amount,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
            "confirmation_method": "automatic",
            "currency": currency,
            "customer": customer,
            "description": description,
            "last_payment_error": None,
            "latest_charge": None,
            "metadata": metadata or {},
            "next_action": None,
            "on_behalf_of": on_behalf_of,
            "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": {
                "card": {
                    "installments": None,
                    "network": None,
                    "request_three_d_secure": "automatic",
                }
            },
            "payment_method_types": ["card"],
            "processing": None,
            "receipt_email": receipt_email,
            "review": None,
            "setup_future_usage": setup_future_usage,
            "shipping": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "requires_payment_method",
            "transfer_data": transfer_data,
            "transfer_group": transfer_group,
        },
        account=account,
        object_id=intent_id,
    )
    emit_event("payment_intent.created", obj.data, account=account)
    return obj


def payment_method_create_object(
    *, account: str, card: Card, billing_details: dict[str, Any], customer: str | None
) -> SandboxObject:
    details = card.payment_method_details()["card"]
    return store.create_object(
        "payment_method",
        {
            "allow_redisplay": "unspecified",
            "billing_details": billing_details,
            "card": {
                key: details[key]
                for key in (
                    "brand",
                    "checks",
                    "country",
                    "exp_month",
                    "exp_year",
                    "fingerprint",
                    "funding",
                    "last4",
                )
            },
            "customer": customer,
            "metadata": {},
            "type": "card",
        },
        account=account,
        internal={"card": card.as_internal()},
    )


def bank_payment_method_create_object(
    *, account: str, billing_details: dict[str, Any], customer: str | None
) -> SandboxObject:
    """A test US bank account (a delayed payment method: debits settle days later)."""
    return store.create_object(
        "payment_method",
        {
            "allow_redisplay": "unspecified",
            "billing_details": billing_details,
            "customer": customer,
            "metadata": {},
            "type": "us_bank_account",
            "us_bank_account": {
                "account_holder_type": "individual",
                "account_type": "checking",
                "bank_name": "STRIPE TEST BANK",
                "fingerprint": "SandboxBank0001",
                "last4": "6789",
                "routing_number": "110000000",
            },
        },
        account=account,
    )


def billing_details(*, email: str | None, name: str | None) -> dict[str, Any]:
    return {
        "address": {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "email": email,
        "name": name or None,
        "phone": None,
        "tax_id": None,
    }


def payment_intent_attempt(
    intent: SandboxObject, *, payment_method: SandboxObject, off_session: bool = False
) -> tuple[SandboxObject, CardError | None]:
    """Charge the card for the intent: (charge, None) on success with all the money movement
    of its charge type, or (failed charge, the card error) on a decline.

    `off_session` charges (subscription renewals) fail for the renewal-failure test card; the
    dispute test card is disputed right after it succeeds.
    """
    card = Card.from_internal(payment_method.internal["card"])
    behaviour = card.behaviour
    decline = behaviour.decline
    if off_session and behaviour.fails_on_renewal:
        decline = GENERIC_DECLINE
    charge, error = payment_intent_charge(
        intent,
        payment_method=payment_method,
        payment_method_details=card.payment_method_details(),
        decline=decline,
    )
    if error is None and behaviour.disputed:
        dispute_create_object(charge)
    if error is None and behaviour.refunds_fail:
        charge.internal["refunds_fail"] = True
        store.save_object(charge)
    return charge, error


def payment_intent_charge(
    intent: SandboxObject,
    *,
    payment_method: SandboxObject,
    payment_method_details: dict[str, Any],
    decline: tuple[str, str, str] | None,
) -> tuple[SandboxObject, CardError | None]:
    """Create the intent's charge: succeeded with its money movement, or failed with `decline`
    (code, decline code, message)."""
    data = intent.data
    account = intent.account
    charge_id = store.new_id("ch")
    common = {
        "amount": data["amount"],
        "currency": data["currency"],
        "customer": data["customer"],
        "description": data["description"],
        "metadata": data["metadata"],
        "payment_intent": intent.id,
        "payment_method": payment_method.id,
        "payment_method_details": payment_method_details,
        "billing_details": payment_method.data["billing_details"],
        "receipt_email": data["receipt_email"],
        "application": data["application"],
        "application_fee_amount": data["application_fee_amount"],
        "on_behalf_of": data["on_behalf_of"],
        "transfer_data": data["transfer_data"],
        "transfer_group": data["transfer_group"],
    }
    if decline:
        return _decline(intent, charge_id, common, decline)

    charge_type = charge_type_of(data, account)
    amount, currency = data["amount"], data["currency"]
    fee_amount = data["application_fee_amount"] or 0
    fee_details = [money.fee_detail(money.stripe_fee(amount, currency), currency, "stripe_fee")]
    if charge_type == DIRECT and fee_amount:
        fee_details.append(
            money.fee_detail(
                fee_amount, currency, "application_fee", application=money.PLATFORM_APPLICATION
            )
        )
    if charge_type == DESTINATION and not common["transfer_group"]:
        # Stripe groups a destination charge with its transfer under a generated group.
        common["transfer_group"] = f"group_{intent.id}"
    txn = money.balance_transaction_create(
        account=account,
        amount=amount,
        currency=currency,
        kind="charge",
        source=charge_id,
        fee_details=fee_details,
        description=data["description"],
    )
    charge_data = money.charge_data(status="succeeded", balance_transaction=txn.id, **common)
    charge_data["outcome"] = _outcome(None)
    charge_data["refunds"]["url"] = f"/v1/charges/{charge_id}/refunds"
    charge_data["receipt_url"] = f"https://pay.stripe.com/receipts/sandbox/{charge_id}"
    charge = store.create_object("charge", charge_data, account=account, object_id=charge_id)

    fee = None
    if charge_type == DIRECT and fee_amount:
        fee = application_fee_create_object(
            amount=fee_amount, currency=currency, account=account, charge=charge.id
        )
    elif charge_type == DESTINATION:
        destination = data["transfer_data"]["destination"]
        transfer, payment = transfer_create_object(
            amount=data["transfer_data"].get("amount") or amount,
            currency=currency,
            destination=destination,
            source_transaction=charge.id,
            transfer_group=common["transfer_group"],
            application_fee_amount=fee_amount or None,
        )
        charge.data["transfer"] = transfer.id
        if fee_amount:
            fee = application_fee_create_object(
                amount=fee_amount,
                currency=currency,
                account=destination,
                charge=payment.id,
                originating_transaction=charge.id,
            )
            store.save_object(payment, application_fee=fee.id)
    if fee is not None:
        charge.data["application_fee"] = fee.id
    store.save_object(charge)
    store.save_object(
        intent,
        status="succeeded",
        amount_received=amount,
        latest_charge=charge.id,
        payment_method=payment_method.id,
        last_payment_error=None,
        transfer_group=common["transfer_group"],
    )
    emit_event("charge.succeeded", charge.data, account=account)
    emit_event("payment_intent.succeeded", intent.data, account=account)
    if fee is not None:
        emit_event("application_fee.created", fee.data)
    return charge, None


def _outcome(decline_code: str | None) -> dict[str, Any]:
    if decline_code is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "advice_code": "try_again_later",
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": decline_code,
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def _decline(
    intent: SandboxObject, charge_id: str, common: dict[str, Any], decline: tuple[str, str, str]
) -> tuple[SandboxObject, CardError]:
    code, decline_code, message = decline
    charge_data = money.charge_data(status="failed", **common)
    charge_data.update(
        failure_code=code,
        failure_message=message,
        outcome=_outcome(decline_code),
    )
    charge_data["refunds"]["url"] = f"/v1/charges/{charge_id}/refunds"
    charge = store.create_object("charge", charge_data, account=intent.account, object_id=charge_id)
    error = CardError(
        message,
        code=code,
        decline_code=decline_code,
        charge=charge.id,
        payment_intent={"id": intent.id, "object": "payment_intent"},
    )
    last_error = {
        "type": "card_error",
        "code": code,
        "decline_code": decline_code,
        "message": message,
        "charge": charge.id,
        "payment_method": {"id": common["payment_method"], "object": "payment_method"},
    }
    store.save_object(
        intent,
        status="requires_payment_method",
        latest_charge=charge.id,
        last_payment_error=last_error,
    )
    emit_event("charge.failed", charge.data, account=intent.account)
    emit_event("payment_intent.payment_failed", intent.data, account=intent.account)
    return charge, error


def application_fee_create_object(
    *,
    amount: int,
    currency: str,
    account: str,
    charge: str,
    originating_transaction: str | None = None,
) -> SandboxObject:
    """The platform's fee on a connected account's payment, credited to the platform."""
    fee_id = store.new_id("fee")
    txn = money.balance_transaction_create(
        account="",
        amount=amount,
        currency=currency,
        kind="application_fee",
        source=fee_id,
    )
    return store.create_object(
        "application_fee",
        {
            "account": account,
            "amount": amount,
            "amount_refunded": 0,
            "application": money.PLATFORM_APPLICATION,
            "balance_transaction": txn.id,
            "charge": charge,
            "currency": currency,
            "fee_source": {"charge": charge, "type": "charge"},
            "originating_transaction": originating_transaction,
            "refunded": False,
            "refunds": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/application_fees/{fee_id}/refunds",
            },
        },
        object_id=fee_id,
    )


def application_fee_refund(fee: SandboxObject, *, amount: int) -> SandboxObject:
    """Give (part of) an application fee back to the connected account it was taken from."""
    data = fee.data
    refund_id = store.new_id("fr")
    txn = money.balance_transaction_create(
        account="",
        amount=-amount,
        currency=data["currency"],
        kind="application_fee_refund",
        source=refund_id,
    )
    money.balance_transaction_create(
        account=data["account"],
        amount=amount,
        currency=data["currency"],
        kind="application_fee_refund",
        source=refund_id,
    )
    fee_refund = store.create_object(
        "fee_refund",
        {
            "amount": amount,
            "balance_transaction": txn.id,
            "currency": data["currency"],
            "fee": fee.id,
            "metadata": {},
        },
        object_id=refund_id,
    )
    previous = store.record_partial_return(
        fee,
        child=fee_refund.data,
        amount=amount,
        list_field="refunds",
        total_field="amount_refunded",
        done_field="refunded",
    )
    emit_event("application_fee.refunded", fee.data, previous_attributes=previous)
    return fee_refund


def refund_create_object(
    charge: SandboxObject,
    *,
    amount: int | None = None,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
    reverse_transfer: bool = False,
    refund_application_fee: bool = False,
) -> SandboxObject:
    """Refund (part of) a charge on the account that owns it, reversing the transfer and the
    application fee in proportion when asked (https://docs.stripe.com/connect/destination-charges#issue-refunds)."""
    data = charge.data
    remaining = data["amount"] - data["amount_refunded"]
    if data["status"] != "succeeded":
        raise InvalidRequestError(
            f"Charge {charge.id} has not succeeded, so it cannot be refunded.", param="charge"
        )
    if remaining <= 0:
        raise InvalidRequestError(
            f"Charge {charge.id} has already been refunded.",
            code="charge_already_refunded",
            param="charge",
        )
    amount = remaining if amount is None else amount
    if amount <= 0:
        raise InvalidRequestError(
            "Invalid positive integer", param="amount", code="parameter_invalid_integer"
        )
    if amount > remaining:
        raise InvalidRequestError(
            f"Refund amount ({money.format_amount(amount, data['currency'])}) is greater than "
            f"unrefunded amount on charge ({money.format_amount(remaining, data['currency'])})",
            code="amount_too_large",
            param="amount",
        )
    transfer = None
    if reverse_transfer:
        if not data.get("transfer"):
            raise InvalidRequestError(
                "This charge has no transfer to reverse: reverse_transfer applies to "
                "destination charges.",
                param="reverse_transfer",
            )
        transfer = store.get_object("transfer", data["transfer"])
    fully_refunded = amount == remaining
    refund_id = store.new_id("re")
    txn = money.balance_transaction_create(
        account=charge.account,
        amount=-amount,
        currency=data["currency"],
        kind="refund",
        source=refund_id,
    )
    reversal = None
    if transfer is not None:
        left = transfer.data["amount"] - transfer.data["amount_reversed"]
        share = (
            left
            if fully_refunded
            else money.proportional(transfer.data["amount"], amount, data["amount"])
        )
        share = min(share, left)
        if share > 0:
            reversal = reversal_create_object(transfer, amount=share, source_refund=refund_id)
    if refund_application_fee and data.get("application_fee"):
        fee = store.get_object("application_fee", data["application_fee"])
        left = fee.data["amount"] - fee.data["amount_refunded"]
        share = (
            left
            if fully_refunded
            else money.proportional(fee.data["amount"], amount, data["amount"])
        )
        share = min(share, left)
        if share > 0:
            application_fee_refund(fee, amount=share)
    refund = store.create_object(
        "refund",
        {
            "amount": amount,
            "balance_transaction": txn.id,
            "charge": charge.id,
            "currency": data["currency"],
            "destination_details": {
                "card": {
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": metadata or {},
            "payment_intent": data["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": reversal.id if reversal else None,
            "customer": data.get("customer"),
            "payment_method": data.get("payment_method"),
        },
        account=charge.account,
        object_id=refund_id,
    )
    previous = store.record_partial_return(
        charge,
        child=refund.data,
        amount=amount,
        list_field="refunds",
        total_field="amount_refunded",
        done_field="refunded",
    )
    emit_event("refund.created", refund.data, account=charge.account)
    emit_event("charge.refunded", charge.data, account=charge.account, previous_attributes=previous)
    if charge.internal.get("refunds_fail"):
        refund.internal["fails_later"] = True
        store.save_object(refund)
    return refund


def refunds_fail_due() -> int:
    """Fail the refunds of card 4000000000005126 that have not failed yet: what Stripe does
    "some time later" (tests call this between webhook deliveries)."""
    due = store.objects().filter(object_type="refund", internal__fails_later=True)
    count = 0
    for refund in due:
        if refund.data["status"] != "succeeded":
            continue
        charge = store.get_object("charge", refund.data["charge"], account=refund.account)
        _refund_fail(charge, refund)
        count += 1
    return count


def _refund_fail(charge: SandboxObject, refund: SandboxObject) -> None:
    """The bank could not return the money (card 4000000000005126): the refund turns `failed`,
    its amount comes back to the balance and leaves the charge's refunded total. A transfer
    reversal or application fee refund made with it stays, as at Stripe.
    https://docs.stripe.com/refunds#failed-refunds"""
    amount = refund.data["amount"]
    back = money.balance_transaction_create(
        account=charge.account,
        amount=amount,
        currency=refund.data["currency"],
        kind="refund_failure",
        source=refund.id,
    )
    previous = store.save_object(
        refund,
        status="failed",
        failure_reason="expired_or_canceled_card",
        failure_balance_transaction=back.id,
    )
    listing = dict(charge.data["refunds"])
    listing["data"] = [
        refund.data if item["id"] == refund.id else item for item in listing.get("data") or []
    ]
    store.save_object(
        charge,
        amount_refunded=charge.data["amount_refunded"] - amount,
        refunded=False,
        refunds=listing,
    )
    emit_event(
        "charge.refund.updated", refund.data, account=charge.account, previous_attributes=previous
    )
    emit_event("refund.updated", refund.data, account=charge.account, previous_attributes=previous)
    emit_event("refund.failed", refund.data, account=charge.account)


# --- API ---------------------------------------------------------------------------------


@router.route("GET", "/v1/payment_methods/{method}", params=PaymentMethodRetrieveParams)
def payment_method_retrieve(request: ApiRequest) -> dict:
    return store.get_object(
        "payment_method", request.path_params["method"], account=request.account
    ).data


@router.route("GET", "/v1/payment_intents/{intent}", params=PaymentIntentRetrieveParams)
def payment_intent_retrieve(request: ApiRequest) -> dict:
    return store.get_object(
        "payment_intent", request.path_params["intent"], account=request.account
    ).data


@router.route("GET", "/v1/payment_intents", params=PaymentIntentListParams)
def payment_intent_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="payment_intent", account=request.account)
    queryset = store.filter_exact(queryset, params, "customer")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/payment_intents")


@router.route("GET", "/v1/charges/{charge}", params=ChargeRetrieveParams)
def charge_retrieve(request: ApiRequest) -> dict:
    return store.get_object("charge", request.path_params["charge"], account=request.account).data


@router.route("GET", "/v1/charges", params=ChargeListParams)
def charge_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="charge", account=request.account)
    queryset = store.filter_exact(queryset, params, "payment_intent", "customer", "transfer_group")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/charges")


@router.route(
    "GET", "/v1/balance_transactions/{transaction}", params=BalanceTransactionRetrieveParams
)
def balance_transaction_retrieve(request: ApiRequest) -> dict:
    return store.get_object(
        "balance_transaction", request.path_params["transaction"], account=request.account
    ).data


@router.route("GET", "/v1/balance_transactions", params=BalanceTransactionListParams)
def balance_transaction_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="balance_transaction", account=request.account)
    queryset = store.filter_exact(queryset, params, "source", "type")
    if params.get("payout"):
        # The transactions a payout paid out, and the payout's own (Stripe's `payout=` filter).
        queryset = queryset.filter(internal__payout=params["payout"])
    if params.get("currency"):
        queryset = queryset.filter(data__currency=params["currency"].lower())
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/balance_transactions")


def _platform_only(request: ApiRequest, what: str) -> None:
    if request.account:
        raise InvalidRequestError(
            f"{what} belong to the platform: drop the Stripe-Account header.",
            param="Stripe-Account",
        )


@router.route("GET", "/v1/application_fees/{fee}", params=ApplicationFeeRetrieveParams)
def application_fee_retrieve(request: ApiRequest) -> dict:
    _platform_only(request, "Application fees")
    return store.get_object("application_fee", request.path_params["fee"]).data


@router.route("GET", "/v1/application_fees", params=ApplicationFeeListParams)
def application_fee_list(request: ApiRequest) -> dict:
    _platform_only(request, "Application fees")
    params = request.params
    queryset = store.objects().filter(object_type="application_fee", account="")
    queryset = store.filter_exact(queryset, params, "charge")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/application_fees")


def _charge_to_refund(request: ApiRequest) -> SandboxObject:
    params = request.params
    charge_id = params.get("charge")
    intent_id = params.get("payment_intent")
    if charge_id and intent_id:
        raise InvalidRequestError(
            "You may only specify one of these parameters: charge, payment_intent.",
            param="payment_intent",
        )
    if intent_id:
        intent = store.get_object(
            "payment_intent", intent_id, account=request.account, param="payment_intent"
        )
        if intent.data["status"] != "succeeded" or not intent.data["latest_charge"]:
            raise InvalidRequestError(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge_id = intent.data["latest_charge"]
    if not charge_id:
        raise InvalidRequestError(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            param="charge",
        )
    return store.get_object("charge", charge_id, account=request.account, param="charge")


@router.route("POST", "/v1/refunds", params=RefundCreateParams)
def refund_create(request: ApiRequest) -> dict:
    params = request.params
    charge = _charge_to_refund(request)
    refund = refund_create_object(
        charge,
        amount=params.get("amount"),
        reason=params.get("reason") or None,
        metadata=params.get("metadata") or {},
        reverse_transfer=bool(params.get("reverse_transfer")),
        refund_application_fee=bool(params.get("refund_application_fee")),
    )
    return refund.data


@router.route("GET", "/v1/refunds/{refund}", params=RefundRetrieveParams)
def refund_retrieve(request: ApiRequest) -> dict:
    return store.get_object("refund", request.path_params["refund"], account=request.account).data


@router.route("GET", "/v1/refunds", params=RefundListParams)
def refund_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="refund", account=request.account)
    queryset = store.filter_exact(queryset, params, "charge", "payment_intent")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/refunds")
