"""Disputes: a charge paid with the test card 4000000000000259 is disputed at once, as at Stripe
(https://docs.stripe.com/testing#disputes); the inspector's "Open a dispute" disputes any charge.
The disputed amount and a 15.00 dispute fee (1500 minor units) leave the balance of the account
that owns the charge; every `charge.dispute.*` event goes where the charge's events go.

Closing, as at Stripe: `POST /v1/disputes/{id}/close` accepts it (lost);
`POST /v1/disputes/{id}` with evidence submits it (`under_review`), and Stripe's test evidence
`uncategorized_text` "winning_evidence" or "losing_evidence" decides it at once. A won dispute
reinstates the amount with a second balance transaction; the dispute fee is not returned (Stripe's
standard pricing: https://support.stripe.com/topics/disputes). The inspector's "Won" and "Lost"
buttons do the same."""

from __future__ import annotations

from stripe.params import (
    DisputeCloseParams,
    DisputeListParams,
    DisputeRetrieveParams,
    DisputeUpdateParams,
)

from stripe_sandbox import money, store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.errors import InvalidRequestError
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject

DISPUTE_FEE = 1500
EVIDENCE_DAYS = 7


def dispute_create_object(charge: SandboxObject, *, reason: str = "fraudulent") -> SandboxObject:
    data = charge.data
    # The buyer's bank takes back what is left of the payment after refunds.
    amount = data["amount"] - data["amount_refunded"]
    dispute_id = store.new_id("dp")
    txn = money.balance_transaction_create(
        account=charge.account,
        amount=-amount,
        currency=data["currency"],
        kind="adjustment",
        source=dispute_id,
        fee_details=[
            {
                "amount": DISPUTE_FEE,
                "application": None,
                "currency": data["currency"],
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ],
        description=f"Chargeback withdrawal for {charge.id}",
    )
    details = data.get("payment_method_details") or {}
    card = details.get("card") or {}
    dispute = store.create_object(
        "dispute",
        {
            "amount": amount,
            "balance_transactions": [txn.data],
            "charge": charge.id,
            "currency": data["currency"],
            "enhanced_eligibility_types": [],
            "evidence": {},
            "evidence_details": {
                "due_by": store.now() + EVIDENCE_DAYS * 86400,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "metadata": {},
            "payment_intent": data.get("payment_intent"),
            "payment_method_details": {
                "card": {
                    "brand": card.get("brand"),
                    "case_type": "chargeback",
                    "network_reason_code": "10.4",
                },
                "type": "card",
            },
            "reason": reason,
            "status": "needs_response",
        },
        account=charge.account,
        object_id=dispute_id,
    )
    store.save_object(charge, disputed=True)
    emit_event("charge.dispute.created", dispute.data, account=charge.account)
    emit_event("charge.dispute.funds_withdrawn", dispute.data, account=charge.account)
    return dispute


OPEN_STATUSES = ("needs_response", "under_review", "warning_needs_response", "warning_under_review")
WINNING_EVIDENCE = "winning_evidence"
LOSING_EVIDENCE = "losing_evidence"


def dispute_close_object(dispute: SandboxObject, *, won: bool) -> SandboxObject:
    """The bank's decision: won reinstates the disputed amount (not the fee); lost keeps it
    withdrawn. `charge.dispute.closed` follows, with `funds_reinstated` first when won."""
    data = dispute.data
    if data["status"] not in OPEN_STATUSES:
        raise InvalidRequestError(
            f"This dispute is already closed ({data['status']}).", code="dispute_already_closed"
        )
    account = dispute.account
    transactions = list(data["balance_transactions"])
    if won:
        reinstated = money.balance_transaction_create(
            account=account,
            amount=data["amount"],
            currency=data["currency"],
            kind="adjustment",
            source=dispute.id,
            description=f"Chargeback reversal for {data['charge']}",
        )
        transactions.append(reinstated.data)
        store.save_object(dispute, balance_transactions=transactions)
        emit_event("charge.dispute.funds_reinstated", dispute.data, account=account)
    status = "won" if won else "lost"
    previous = store.save_object(dispute, status=status, is_charge_refundable=False)
    emit_event("charge.dispute.closed", dispute.data, account=account, previous_attributes=previous)
    return dispute


def charge_dispute_open(charge: SandboxObject) -> SandboxObject:
    """The inspector's "Open a dispute" on a charge, as if the buyer's bank had."""
    data = charge.data
    if data["status"] != "succeeded" or data.get("disputed") or data["refunded"]:
        raise InvalidRequestError(f"Charge {charge.id} cannot be disputed now.")
    return dispute_create_object(charge)


def _dispute(request: ApiRequest) -> SandboxObject:
    return store.get_object("dispute", request.path_params["dispute"], account=request.account)


@router.route("POST", "/v1/disputes/{dispute}/close", params=DisputeCloseParams)
def dispute_close(request: ApiRequest) -> dict:
    """Accept the dispute: Stripe marks it lost at once."""
    return dispute_close_object(_dispute(request), won=False).data


@router.route("POST", "/v1/disputes/{dispute}", params=DisputeUpdateParams)
def dispute_update(request: ApiRequest) -> dict:
    """Stage or submit evidence; Stripe's test evidence decides a submitted dispute at once."""
    dispute = _dispute(request)
    params = request.params
    if dispute.data["status"] not in OPEN_STATUSES:
        raise InvalidRequestError(
            f"This dispute is already closed ({dispute.data['status']}).",
            code="dispute_already_closed",
        )
    given = {key: params[key] for key in ("metadata", "evidence") if key in params}
    current = {key: dispute.data[key] for key in given}
    changes: dict = store.merge_update(current, given)
    evidence = params.get("evidence")
    submit = bool(evidence) and params.get("submit", True)
    if submit:
        details = dict(dispute.data["evidence_details"])
        details.update(has_evidence=True, submission_count=details["submission_count"] + 1)
        changes["evidence_details"] = details
        changes["status"] = (
            "warning_under_review"
            if dispute.data["status"].startswith("warning")
            else "under_review"
        )
    previous = store.save_object(dispute, **changes)
    if previous:
        emit_event(
            "charge.dispute.updated",
            dispute.data,
            account=dispute.account,
            previous_attributes=previous,
        )
    text = (dispute.data["evidence"] or {}).get("uncategorized_text")
    if submit and text in (WINNING_EVIDENCE, LOSING_EVIDENCE):
        dispute_close_object(dispute, won=text == WINNING_EVIDENCE)
    return dispute.data


@router.route("GET", "/v1/disputes/{dispute}", params=DisputeRetrieveParams)
def dispute_retrieve(request: ApiRequest) -> dict:
    return store.get_object("dispute", request.path_params["dispute"], account=request.account).data


@router.route("GET", "/v1/disputes", params=DisputeListParams)
def dispute_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="dispute", account=request.account)
    queryset = store.filter_exact(queryset, params, "charge", "payment_intent")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/disputes")
