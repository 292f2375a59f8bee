"""Customers: /v1/customers (create, retrieve, update, delete, list, search).

Shapes follow `fixtures3.json` `resources["customer"]`; every customer belongs to the account
that created it (the `Stripe-Account` header), like at Stripe.
"""

from __future__ import annotations

import secrets
from typing import Any

from stripe.params import (
    CustomerCreateParams,
    CustomerDeleteParams,
    CustomerListParams,
    CustomerRetrieveParams,
    CustomerSearchParams,
    CustomerUpdateParams,
)

from stripe_sandbox import store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject
from stripe_sandbox.routers import SANDBOX_DATABASE
from stripe_sandbox.search import search_response

_EMPTY_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}


def customer_create_object(
    *,
    account: str,
    email: str | None = None,
    name: str | None = None,
    description: str | None = None,
    phone: str | None = None,
    metadata: dict[str, str] | None = None,
    test_clock: str | None = None,
) -> SandboxObject:
    """Store a customer and emit `customer.created` (the API and Checkout both use it)."""
    obj = store.create_object(
        "customer",
        {
            "address": None,
            "balance": 0,
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": description,
            "discount": None,
            "email": email,
            "invoice_prefix": secrets.token_hex(4).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "metadata": metadata or {},
            "name": name,
            "next_invoice_sequence": 1,
            "phone": phone,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": test_clock,
        },
        account=account,
    )
    emit_event("customer.created", obj.data, account=account)
    return obj


@router.route("POST", "/v1/customers", params=CustomerCreateParams)
def customer_create(request: ApiRequest) -> dict:
    params = request.params
    test_clock = params.get("test_clock") or None
    if test_clock:
        store.get_object("test_helpers.test_clock", test_clock, account=request.account)
    obj = customer_create_object(
        account=request.account,
        email=params.get("email") or None,
        name=params.get("name") or None,
        description=params.get("description") or None,
        phone=params.get("phone") or None,
        metadata=params.get("metadata") or {},
        test_clock=test_clock,
    )
    if params.get("address"):
        obj.data["address"] = {**_EMPTY_ADDRESS, **params["address"]}
        obj.save(using=SANDBOX_DATABASE)
    return obj.data


# Registered before /v1/customers/{customer} so "search" is not taken for an id.
@router.route("GET", "/v1/customers/search", params=CustomerSearchParams)
def customer_search(request: ApiRequest) -> dict:
    queryset = store.objects().filter(
        object_type="customer", account=request.account, internal__deleted__isnull=True
    )
    return search_response(queryset, request.params, url="/v1/customers/search")


def _customer(request: ApiRequest) -> SandboxObject:
    return store.get_object("customer", request.path_params["customer"], account=request.account)


@router.route("GET", "/v1/customers/{customer}", params=CustomerRetrieveParams)
def customer_retrieve(request: ApiRequest) -> dict:
    obj = _customer(request)
    if obj.internal.get("deleted"):
        return {"id": obj.id, "object": "customer", "deleted": True}
    return obj.data


@router.route("POST", "/v1/customers/{customer}", params=CustomerUpdateParams)
def customer_update(request: ApiRequest) -> dict:
    obj = _customer(request)
    changes: dict[str, Any] = {
        key: value for key, value in request.params.items() if key != "expand"
    }
    updated = store.merge_update(obj.data, changes)
    previous = store.save_object(obj, **{key: updated.get(key) for key in changes})
    if previous:
        emit_event(
            "customer.updated", obj.data, account=request.account, previous_attributes=previous
        )
    return obj.data


@router.route("DELETE", "/v1/customers/{customer}", params=CustomerDeleteParams)
def customer_delete(request: ApiRequest) -> dict:
    obj = _customer(request)
    obj.internal["deleted"] = True
    obj.save(using=SANDBOX_DATABASE)
    emit_event("customer.deleted", obj.data, account=request.account)
    return {"id": obj.id, "object": "customer", "deleted": True}


@router.route("GET", "/v1/customers", params=CustomerListParams)
def customer_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(
        object_type="customer", account=request.account, internal__deleted__isnull=True
    )
    queryset = store.filter_exact(queryset, params, "email", "test_clock")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/customers")
