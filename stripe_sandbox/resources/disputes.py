"""Disputes: a charge paid with the test card 4000000000000259 is disputed at once, as at Stripe
(https://docs.stripe.com/testing#disputes). The disputed amount and a 15.00 dispute fee (1500
minor units) leave the balance of the account that owns the charge; `charge.dispute.created`
goes where the charge's events go."""

from __future__ import annotations

from stripe.params import DisputeListParams, DisputeRetrieveParams

from stripe_sandbox import money, store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject

DISPUTE_FEE = 1500
EVIDENCE_DAYS = 7


def dispute_create_object(charge: SandboxObject, *, reason: str = "fraudulent") -> SandboxObject:
    data = charge.data
    dispute_id = store.new_id("dp")
    txn = money.balance_transaction_create(
        account=charge.account,
        amount=-data["amount"],
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
            "amount": data["amount"],
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
