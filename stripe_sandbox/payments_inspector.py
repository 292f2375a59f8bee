"""The inspector's payments section: charges with their fee, transfers and refunds, subscriptions
(with "Advance to next period"), and recent Checkout Sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import money, store
from .models import SandboxObject
from .resources.disputes import OPEN_STATUSES

SHOWN = 50


def _when(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def _charge_type(charge: dict[str, Any], account: str, transfers: list[dict]) -> str:
    if account:
        return "direct"
    if charge.get("transfer"):
        return "destination"
    if transfers or charge.get("transfer_group"):
        return "separate"
    return "platform"


def _transfer_row(transfer: dict[str, Any]) -> dict[str, Any]:
    currency = transfer["currency"]
    return {
        "id": transfer["id"],
        "amount": money.format_amount(transfer["amount"], currency),
        "destination": transfer["destination"],
        "reversed": money.format_amount(transfer["amount_reversed"], currency)
        if transfer["amount_reversed"]
        else "",
    }


def _status(charge: dict[str, Any]) -> tuple[str, str]:
    if charge["status"] != "succeeded":
        return "failed", "sb-bad"
    if charge["refunded"]:
        return "refunded", "sb-warn"
    if charge["amount_refunded"]:
        return "partially refunded", "sb-warn"
    return "succeeded", "sb-ok"


def payment_rows() -> list[dict[str, Any]]:
    charges = (
        store.objects()
        .filter(object_type="charge", id__startswith="ch_")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    rows = []
    for row in charges:
        charge = row.data
        currency = charge["currency"]
        transfers = []
        if charge.get("transfer"):
            transfer = store.find_object("transfer", charge["transfer"])
            if transfer is not None:
                transfers.append(transfer.data)
        else:
            transfers.extend(
                item.data
                for item in store.objects()
                .filter(object_type="transfer", account="", data__source_transaction=row.id)
                .order_by("created_at")
            )
        fee = store.find_object("application_fee", charge.get("application_fee") or "")
        status, status_class = _status(charge)
        rows.append(
            {
                "id": row.id,
                "payment_intent": charge.get("payment_intent"),
                "created": row.created_at,
                "account": row.account,
                "charge_type": _charge_type(charge, row.account, transfers),
                "amount": money.format_amount(charge["amount"], currency),
                "status": status,
                "status_class": status_class,
                "failure": charge.get("failure_message") or "",
                "customer_email": (charge.get("billing_details") or {}).get("email") or "",
                "fee": money.format_amount(fee.data["amount"], currency) if fee else "",
                "fee_refunded": money.format_amount(fee.data["amount_refunded"], currency)
                if fee and fee.data["amount_refunded"]
                else "",
                "transfers": [_transfer_row(item) for item in transfers],
                "refunds": [
                    money.format_amount(refund["amount"], currency)
                    for refund in charge["refunds"]["data"]
                ],
                "dispute": _dispute_row(row),
                "can_dispute": charge["status"] == "succeeded"
                and not charge.get("disputed")
                and not charge["refunded"],
            }
        )
    return rows


def _dispute_row(charge: SandboxObject) -> dict[str, Any] | None:
    dispute = (
        store.objects()
        .filter(object_type="dispute", account=charge.account, data__charge=charge.id)
        .first()
    )
    if dispute is None:
        return None
    return {
        "id": dispute.id,
        "status": dispute.data["status"],
        "amount": money.format_amount(dispute.data["amount"], dispute.data["currency"]),
        "open": dispute.data["status"] in OPEN_STATUSES,
    }


def subscription_rows() -> list[dict[str, Any]]:
    subscriptions = (
        store.objects().filter(object_type="subscription").order_by("-created_at", "-id")[:SHOWN]
    )
    rows = []
    for row in subscriptions:
        data = row.data
        item = data["items"]["data"][0]
        price = item["price"]
        amount = money.format_amount(price["unit_amount"] * item["quantity"], price["currency"])
        rows.append(
            {
                "id": row.id,
                "account": row.account,
                "customer": data["customer"],
                "status": data["status"],
                "amount": f"{amount} / {price['recurring']['interval']}",
                "period_end": _when(item["current_period_end"]),
                "cancel_at_period_end": data["cancel_at_period_end"],
                "can_advance": data["status"] in ("active", "past_due", "trialing"),
                # A past-due subscription's next step is the next attempt at its failed invoice.
                "retries": data["status"] == "past_due",
            }
        )
    return rows


def session_rows() -> list[dict[str, Any]]:
    sessions = (
        store.objects()
        .filter(object_type="checkout.session")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    return [
        {
            "id": row.id,
            "account": row.account,
            "mode": row.data["mode"],
            "status": row.data["status"],
            "payment_status": row.data["payment_status"],
            "amount": money.format_amount(row.data["amount_total"], row.data["currency"]),
            "url": row.data.get("url"),
            "created": row.created_at,
            "bank_debit_processing": row.internal.get("bank_debit") == "processing",
        }
        for row in sessions
    ]


def context() -> dict[str, Any]:
    return {
        "payments": payment_rows(),
        "subscriptions": subscription_rows(),
        "sessions": session_rows(),
    }
