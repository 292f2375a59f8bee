"""Transfers and transfer reversals: /v1/transfers, /v1/transfers/{id}/reversals.

A transfer moves money from the platform's balance to a connected account: a `tr_` on the
platform (with a `transfer` balance transaction taking the amount out) and, on the destination
account, a `py_` payment (a charge-shaped object) with a `payment` balance transaction putting it
in. Destination charges create one automatically; separate charges and transfers create one with
`POST /v1/transfers` (`source_transaction` ties it to the charge that funds it).
A reversal takes (part of) it back: `trr_` on the platform, the `py_` refunded on the account.
"""

from __future__ import annotations

from stripe.params import (
    TransferCreateParams,
    TransferListParams,
    TransferRetrieveParams,
    TransferReversalCreateParams,
    TransferReversalListParams,
    TransferReversalRetrieveParams,
)

from stripe_sandbox import money, store
from stripe_sandbox.api import ApiRequest, require, router
from stripe_sandbox.errors import InvalidRequestError, resource_missing
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject
from stripe_sandbox.resources.accounts import get_connected_account


def transfer_create_object(
    *,
    amount: int,
    currency: str,
    destination: str,
    source_transaction: str | None = None,
    transfer_group: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    application_fee_amount: int | None = None,
) -> tuple[SandboxObject, SandboxObject]:
    """Move `amount` from the platform to `destination`; returns (transfer, destination payment).

    `application_fee_amount` (destination charges) is taken back out of the destination payment:
    its balance transaction shows it as a fee. The caller creates the ApplicationFee object.
    """
    transfer_id = store.new_id("tr")
    payment_id = store.new_id("py")
    platform_txn = money.balance_transaction_create(
        account="",
        amount=-amount,
        currency=currency,
        kind="transfer",
        source=transfer_id,
        description=description,
    )
    fee_details = []
    if application_fee_amount:
        fee_details.append(
            money.fee_detail(
                application_fee_amount,
                currency,
                "application_fee",
                application=money.PLATFORM_APPLICATION,
            )
        )
    payment_txn = money.balance_transaction_create(
        account=destination,
        amount=amount,
        currency=currency,
        kind="payment",
        source=payment_id,
        fee_details=fee_details,
    )
    payment_data = money.charge_data(
        amount=amount,
        currency=currency,
        balance_transaction=payment_txn.id,
        application=money.PLATFORM_APPLICATION,
        application_fee_amount=application_fee_amount,
        source_transfer=transfer_id,
        description=description,
    )
    payment_data["refunds"]["url"] = f"/v1/charges/{payment_id}/refunds"
    payment = store.create_object("charge", payment_data, account=destination, object_id=payment_id)
    transfer = store.create_object(
        "transfer",
        {
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": platform_txn.id,
            "currency": currency,
            "description": description,
            "destination": destination,
            "destination_payment": payment_id,
            "metadata": metadata or {},
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source_transaction,
            "source_type": "card",
            "transfer_group": transfer_group,
        },
        object_id=transfer_id,
    )
    emit_event("transfer.created", transfer.data)
    return transfer, payment


def reversal_create_object(
    transfer: SandboxObject,
    *,
    amount: int,
    metadata: dict[str, str] | None = None,
    description: str | None = None,
    source_refund: str | None = None,
) -> SandboxObject:
    """Take `amount` of a transfer back from its destination to the platform."""
    data = transfer.data
    reversal_id = store.new_id("trr")
    platform_txn = money.balance_transaction_create(
        account="",
        amount=amount,
        currency=data["currency"],
        kind="transfer_refund",
        source=reversal_id,
        description=description,
    )
    payment_refund_id = store.new_id("pyr")
    payment = store.find_object("charge", data["destination_payment"], account=data["destination"])
    if payment is not None:
        money.balance_transaction_create(
            account=data["destination"],
            amount=-amount,
            currency=data["currency"],
            kind="payment_refund",
            source=payment_refund_id,
        )
        refunded = payment.data["amount_refunded"] + amount
        store.save_object(
            payment, amount_refunded=refunded, refunded=refunded >= payment.data["amount"]
        )
    reversal = store.create_object(
        "transfer_reversal",
        {
            "amount": amount,
            "balance_transaction": platform_txn.id,
            "currency": data["currency"],
            "destination_payment_refund": payment_refund_id if payment is not None else None,
            "metadata": metadata or {},
            "source_refund": source_refund,
            "transfer": transfer.id,
        },
        object_id=reversal_id,
        internal={"transfer": transfer.id},
    )
    previous = store.record_partial_return(
        transfer,
        child=reversal.data,
        amount=amount,
        list_field="reversals",
        total_field="amount_reversed",
        done_field="reversed",
    )
    emit_event("transfer.reversed", transfer.data, previous_attributes=previous)
    return reversal


def transferable_amount(charge: SandboxObject) -> int:
    """What is left of a platform charge to transfer: its amount less refunds and transfers
    already made from it (net of their reversals)."""
    transferred = sum(
        row.data["amount"] - row.data["amount_reversed"]
        for row in store.objects().filter(
            object_type="transfer", account="", data__source_transaction=charge.id
        )
    )
    return charge.data["amount"] - charge.data["amount_refunded"] - transferred


def _no_header(request: ApiRequest) -> None:
    if request.account:
        raise InvalidRequestError(
            "Transfers are made by the platform: drop the Stripe-Account header.",
            param="Stripe-Account",
        )


@router.route("POST", "/v1/transfers", params=TransferCreateParams)
def transfer_create(request: ApiRequest) -> dict:
    _no_header(request)
    params = request.params
    amount = require(request, "amount")
    if amount <= 0:
        raise InvalidRequestError(
            "Invalid positive integer", param="amount", code="parameter_invalid_integer"
        )
    currency = params["currency"].lower()
    destination = get_connected_account(params["destination"], param="destination").id
    source_transaction = params.get("source_transaction") or None
    if source_transaction:
        charge = store.find_object("charge", source_transaction, account="")
        if charge is None or charge.data["status"] != "succeeded":
            raise resource_missing("charge", source_transaction, param="source_transaction")
        if charge.data["currency"] != currency:
            raise InvalidRequestError(
                f"The currency of source_transaction's balance transaction "
                f"({charge.data['currency']}) must be the same as the transfer currency "
                f"({currency}).",
                param="currency",
            )
        remaining = transferable_amount(charge)
        if amount > remaining:
            raise InvalidRequestError(
                f"Insufficient funds in source transaction {source_transaction}: the transfer "
                f"amount ({amount}) exceeds what remains to transfer from it ({remaining}).",
                param="amount",
                code="balance_insufficient",
            )
    elif amount > money.available_amount("", currency):
        raise InvalidRequestError(
            "You have insufficient available funds in your Stripe account. Try adding funds "
            "directly to your available balance by creating Charges using the "
            "4000000000000077 test card. See: https://stripe.com/docs/testing#available-balance",
            code="balance_insufficient",
        )
    transfer, _ = transfer_create_object(
        amount=amount,
        currency=currency,
        destination=destination,
        source_transaction=source_transaction,
        transfer_group=params.get("transfer_group") or None,
        description=params.get("description") or None,
        metadata=params.get("metadata") or {},
    )
    return transfer.data


def _transfer(request: ApiRequest, key: str = "transfer") -> SandboxObject:
    _no_header(request)
    return store.get_object("transfer", request.path_params[key])


@router.route("GET", "/v1/transfers/{transfer}", params=TransferRetrieveParams)
def transfer_retrieve(request: ApiRequest) -> dict:
    return _transfer(request).data


@router.route("GET", "/v1/transfers", params=TransferListParams)
def transfer_list(request: ApiRequest) -> dict:
    _no_header(request)
    params = request.params
    queryset = store.objects().filter(object_type="transfer", account="")
    queryset = store.filter_exact(queryset, params, "destination", "transfer_group")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/transfers")


def _require_destination_funds(transfer: SandboxObject, amount: int) -> None:
    """A reversal takes the money from the connected account's balance: if what is there
    (available and pending, in the transfer's currency) is short, Stripe refuses it, e.g. once
    the funds were paid out. https://docs.stripe.com/connect/separate-charges-and-transfers#reverse-transfers"""
    destination, currency = transfer.data["destination"], transfer.data["currency"]
    balance = money.balance_for(destination)
    held = sum(
        entry["amount"]
        for entry in (*balance["available"], *balance["pending"])
        if entry["currency"] == currency
    )
    if amount > held:
        raise InvalidRequestError(
            f"Insufficient funds in the destination account {destination} to reverse "
            f"{amount} of transfer {transfer.id}: its balance is {held}.",
            param="amount",
            code="balance_insufficient",
        )


@router.route("POST", "/v1/transfers/{transfer}/reversals", params=TransferReversalCreateParams)
def transfer_reversal_create(request: ApiRequest) -> dict:
    transfer = _transfer(request)
    params = request.params
    remaining = transfer.data["amount"] - transfer.data["amount_reversed"]
    if remaining <= 0:
        raise InvalidRequestError(
            f"Transfer {transfer.id} has already been fully reversed.", param="amount"
        )
    amount = params.get("amount", remaining)
    if amount <= 0 or amount > remaining:
        raise InvalidRequestError(
            f"You cannot reverse {amount} of transfer {transfer.id}: only {remaining} remains "
            "to reverse.",
            param="amount",
        )
    _require_destination_funds(transfer, amount)
    reversal = reversal_create_object(
        transfer,
        amount=amount,
        metadata=params.get("metadata") or {},
        description=params.get("description") or None,
    )
    return reversal.data


@router.route("GET", "/v1/transfers/{transfer}/reversals", params=TransferReversalListParams)
def transfer_reversal_list(request: ApiRequest) -> dict:
    transfer = _transfer(request)
    queryset = store.objects().filter(
        object_type="transfer_reversal", account="", internal__transfer=transfer.id
    )
    return store.list_response(
        queryset, request.params, url=f"/v1/transfers/{transfer.id}/reversals"
    )


@router.route(
    "GET", "/v1/transfers/{transfer}/reversals/{id}", params=TransferReversalRetrieveParams
)
def transfer_reversal_retrieve(request: ApiRequest) -> dict:
    transfer = _transfer(request)
    reversal = store.get_object("transfer_reversal", request.path_params["id"])
    if reversal.internal.get("transfer") != transfer.id:
        raise resource_missing("transfer_reversal", reversal.id)
    return reversal.data
