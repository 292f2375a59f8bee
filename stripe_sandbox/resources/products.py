"""Products and prices: /v1/products and /v1/prices (one-time and recurring).

Shapes follow `fixtures3.json` `resources["product"]` and `resources["price"]`. Checkout's inline
`price_data` / `product_data` go through `price_create_object` / `product_create_object` too.
"""

from __future__ import annotations

from typing import Any

from stripe.params import (
    PriceCreateParams,
    PriceListParams,
    PriceRetrieveParams,
    PriceUpdateParams,
    ProductCreateParams,
    ProductListParams,
    ProductRetrieveParams,
    ProductUpdateParams,
)

from stripe_sandbox import store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.errors import InvalidRequestError
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject

INTERVALS = ("day", "week", "month", "year")


def product_create_object(
    *, account: str, params: dict[str, Any], object_id: str | None = None, emit: bool = True
) -> SandboxObject:
    name = params.get("name")
    if not name:
        raise InvalidRequestError("Missing required param: name.", param="name")
    now = store.now()
    obj = store.create_object(
        "product",
        {
            "active": params.get("active", True),
            "created": now,
            "default_price": None,
            "description": params.get("description") or None,
            "images": params.get("images") or [],
            "marketing_features": [],
            "metadata": params.get("metadata") or {},
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": params.get("statement_descriptor") or None,
            "tax_code": params.get("tax_code") or None,
            "unit_label": params.get("unit_label") or None,
            "updated": now,
            "url": params.get("url") or None,
            "type": "service",
        },
        account=account,
        object_id=object_id,
    )
    if emit:
        emit_event("product.created", obj.data, account=account)
    return obj


def _recurring(recurring: dict[str, Any] | None, param: str) -> dict[str, Any] | None:
    if not recurring:
        return None
    interval = recurring.get("interval")
    if interval not in INTERVALS:
        raise InvalidRequestError(
            f"Invalid {param}[interval]: must be one of day, month, week, or year",
            param=f"{param}[interval]",
        )
    return {
        "interval": interval,
        "interval_count": recurring.get("interval_count") or 1,
        "meter": None,
        "usage_type": recurring.get("usage_type") or "licensed",
        "trial_period_days": recurring.get("trial_period_days"),
    }


def price_create_object(
    *,
    account: str,
    params: dict[str, Any],
    param: str = "",
    active: bool = True,
    emit: bool = True,
) -> SandboxObject:
    """A price from `PriceCreateParams`-like params (also Checkout's `line_items[][price_data]`).

    `param` is the prefix for error messages, e.g. "line_items[0][price_data]".
    """

    def name(key: str) -> str:
        return f"{param}[{key}]" if param else key

    currency = str(params.get("currency") or "").lower()
    if not currency:
        raise InvalidRequestError(
            f"Missing required param: {name('currency')}.", param=name("currency")
        )
    unit_amount = params.get("unit_amount")
    if unit_amount is None and params.get("unit_amount_decimal") not in (None, ""):
        unit_amount = int(str(params["unit_amount_decimal"]).split(".")[0])
    if unit_amount is None:
        raise InvalidRequestError(
            f"Missing required param: {name('unit_amount')}.", param=name("unit_amount")
        )
    if unit_amount < 0:
        raise InvalidRequestError(
            "This value must be greater than or equal to 0.", param=name("unit_amount")
        )
    product_id = params.get("product")
    product_data = params.get("product_data")
    if product_id and product_data:
        raise InvalidRequestError(
            f"You may only specify one of these parameters: {name('product')}, "
            f"{name('product_data')}.",
            param=name("product"),
        )
    if product_id:
        store.get_object("product", product_id, account=account, param=name("product"))
    elif product_data:
        product_id = product_create_object(account=account, params=product_data, emit=emit).id
    else:
        raise InvalidRequestError(
            f"Missing required param: {name('product')}.", param=name("product")
        )
    recurring = _recurring(params.get("recurring"), name("recurring"))
    obj = store.create_object(
        "price",
        {
            "active": params.get("active", active),
            "billing_scheme": "per_unit",
            "currency": currency,
            "custom_unit_amount": None,
            "lookup_key": params.get("lookup_key") or None,
            "metadata": params.get("metadata") or {},
            "nickname": params.get("nickname") or None,
            "product": product_id,
            "recurring": recurring,
            "tax_behavior": params.get("tax_behavior") or "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        account=account,
    )
    if emit:
        emit_event("price.created", obj.data, account=account)
    return obj


@router.route("POST", "/v1/products", params=ProductCreateParams)
def product_create(request: ApiRequest) -> dict:
    params = request.params
    object_id = params.get("id") or None
    if object_id and store.find_object("product", object_id, account=None):
        raise InvalidRequestError(
            f"Product already exists: {object_id}", code="resource_already_exists", param="id"
        )
    obj = product_create_object(account=request.account, params=params, object_id=object_id)
    default_price_data = params.get("default_price_data")
    if default_price_data:
        price = price_create_object(
            account=request.account,
            params={**default_price_data, "product": obj.id},
            param="default_price_data",
        )
        store.save_object(obj, default_price=price.id)
    return obj.data


@router.route("GET", "/v1/products/{product}", params=ProductRetrieveParams)
def product_retrieve(request: ApiRequest) -> dict:
    return store.get_object("product", request.path_params["product"], account=request.account).data


@router.route("POST", "/v1/products/{product}", params=ProductUpdateParams)
def product_update(request: ApiRequest) -> dict:
    obj = store.get_object("product", request.path_params["product"], account=request.account)
    changes = {key: value for key, value in request.params.items() if key != "expand"}
    updated = store.merge_update(obj.data, changes)
    previous = store.save_object(
        obj, updated=store.now(), **{key: updated.get(key) for key in changes}
    )
    emit_event("product.updated", obj.data, account=request.account, previous_attributes=previous)
    return obj.data


@router.route("GET", "/v1/products", params=ProductListParams)
def product_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="product", account=request.account)
    if "active" in params:
        queryset = queryset.filter(data__active=params["active"])
    if params.get("ids"):
        queryset = queryset.filter(id__in=params["ids"])
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/products")


@router.route("POST", "/v1/prices", params=PriceCreateParams)
def price_create(request: ApiRequest) -> dict:
    return price_create_object(account=request.account, params=request.params).data


@router.route("GET", "/v1/prices/{price}", params=PriceRetrieveParams)
def price_retrieve(request: ApiRequest) -> dict:
    return store.get_object("price", request.path_params["price"], account=request.account).data


@router.route("POST", "/v1/prices/{price}", params=PriceUpdateParams)
def price_update(request: ApiRequest) -> dict:
    obj = store.get_object("price", request.path_params["price"], account=request.account)
    allowed = {"active", "metadata", "nickname", "lookup_key", "tax_behavior"}
    changes = {key: value for key, value in request.params.items() if key in allowed}
    updated = store.merge_update(obj.data, changes)
    previous = store.save_object(obj, **{key: updated.get(key) for key in changes})
    emit_event("price.updated", obj.data, account=request.account, previous_attributes=previous)
    return obj.data


@router.route("GET", "/v1/prices", params=PriceListParams)
def price_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="price", account=request.account)
    queryset = store.filter_exact(queryset, params, "product")
    if "active" in params:
        queryset = queryset.filter(data__active=params["active"])
    queryset = store.filter_exact(queryset, params, "type")
    if params.get("currency"):
        queryset = queryset.filter(data__currency=params["currency"].lower())
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/prices")
