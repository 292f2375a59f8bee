"""A connected account's bank accounts: /v1/accounts/{account}/external_accounts.

Shapes follow `fixtures3.json` `resources["bank_account"]`. The bank accounts live inside the
account's `external_accounts` list, as the account object shows them; only Stripe's test numbers
are accepted (`stripe_sandbox/verification.py`).
"""

from __future__ import annotations

import copy
from typing import Any

from stripe.params import (
    AccountExternalAccountCreateParams,
    AccountExternalAccountDeleteParams,
    AccountExternalAccountListParams,
    AccountExternalAccountRetrieveParams,
    AccountExternalAccountUpdateParams,
)

from stripe_sandbox import store, verification
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.errors import InvalidRequestError, resource_missing
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject
from stripe_sandbox.resources.accounts import get_connected_account

BASE = "/v1/accounts/{account}/external_accounts"


def _account(request: ApiRequest) -> SandboxObject:
    account_id = request.path_params["account"]
    if request.account and request.account != account_id:
        raise resource_missing("account", account_id)
    return get_connected_account(account_id, param="account")


def _bank_accounts(obj: SandboxObject) -> list[dict[str, Any]]:
    return copy.deepcopy((obj.data.get("external_accounts") or {}).get("data") or [])


def _find(obj: SandboxObject, bank_account_id: str) -> dict[str, Any]:
    for item in _bank_accounts(obj):
        if item["id"] == bank_account_id:
            return item
    raise resource_missing("external account", bank_account_id)


def _save(obj: SandboxObject, bank_accounts: list[dict[str, Any]]) -> None:
    """Store the new list, re-derive the requirements and tell the platform."""
    listing = {**obj.data["external_accounts"], "data": bank_accounts}
    fields: dict[str, Any] = {"external_accounts": listing}
    if verification.collects_requirements_itself(obj.data):
        fields.update(verification.requirements_state({**obj.data, **fields}, obj.internal))
    previous = store.save_object(obj, **fields)
    if set(previous) - {"external_accounts"}:
        emit_event("account.updated", obj.data, account=obj.id, previous_attributes=previous)


@router.route("POST", BASE, params=AccountExternalAccountCreateParams)
def external_account_create(request: ApiRequest) -> dict:
    obj = _account(request)
    bank_account, failure = verification.bank_account_from(obj, request.params["external_account"])
    listing = verification.bank_accounts_attach(
        obj, bank_account, failure, default=bool(request.params.get("default_for_currency"))
    )
    if request.params.get("metadata"):
        bank_account["metadata"] = request.params["metadata"]
    _save(obj, listing["data"])
    emit_event("account.external_account.created", bank_account, account=obj.id)
    return bank_account


@router.route("GET", BASE + "/{id}", params=AccountExternalAccountRetrieveParams)
def external_account_retrieve(request: ApiRequest) -> dict:
    return _find(_account(request), request.path_params["id"])


@router.route("POST", BASE + "/{id}", params=AccountExternalAccountUpdateParams)
def external_account_update(request: ApiRequest) -> dict:
    obj = _account(request)
    target = _find(obj, request.path_params["id"])
    params = request.params
    unsupported = set(params) - {"default_for_currency", "metadata", "account_holder_name"}
    if unsupported - {"expand"}:
        raise InvalidRequestError(
            "The sandbox can only change default_for_currency, metadata and account_holder_name "
            "of a bank account.",
            param=sorted(unsupported)[0],
        )
    bank_accounts = _bank_accounts(obj)
    for item in bank_accounts:
        if item["id"] == target["id"]:
            if params.get("default_for_currency") is True:
                item["default_for_currency"] = True
            elif params.get("default_for_currency") is False and item["default_for_currency"]:
                raise InvalidRequestError(
                    "You cannot unset the default for currency; make another bank account the "
                    "default instead.",
                    param="default_for_currency",
                )
            if "account_holder_name" in params:
                item["account_holder_name"] = params["account_holder_name"] or None
            if params.get("metadata") not in (None, ""):
                item["metadata"] = {**item["metadata"], **params["metadata"]}
            updated = item
        elif params.get("default_for_currency") and item["currency"] == target["currency"]:
            item["default_for_currency"] = False
    _save(obj, bank_accounts)
    emit_event("account.external_account.updated", updated, account=obj.id)
    return updated


@router.route("DELETE", BASE + "/{id}", params=AccountExternalAccountDeleteParams)
def external_account_delete(request: ApiRequest) -> dict:
    obj = _account(request)
    target = _find(obj, request.path_params["id"])
    if target["default_for_currency"] and target["currency"] == obj.data.get("default_currency"):
        raise InvalidRequestError(
            "You cannot delete the default bank account for your default currency. Please make "
            "another bank account the default using the `default_for_currency` param, and then "
            "delete this one.",
            param="id",
        )
    _save(obj, [item for item in _bank_accounts(obj) if item["id"] != target["id"]])
    emit_event("account.external_account.deleted", target, account=obj.id)
    return {"id": target["id"], "object": "bank_account", "deleted": True}


@router.route("GET", BASE, params=AccountExternalAccountListParams)
def external_account_list(request: ApiRequest) -> dict:
    obj = _account(request)
    bank_accounts = _bank_accounts(obj)
    if request.params.get("object") not in (None, "", "bank_account"):
        bank_accounts = []
    limit = request.params.get("limit", 10)
    return {
        "object": "list",
        "data": bank_accounts[:limit],
        "has_more": len(bank_accounts) > limit,
        "url": f"/v1/accounts/{obj.id}/external_accounts",
    }
