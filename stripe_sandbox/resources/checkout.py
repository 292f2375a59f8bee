"""Checkout Sessions: /v1/checkout/sessions (create, retrieve, list, expire, line items).

A session's `url` opens the sandbox's hosted Checkout page (`checkout_page.py`), which pays it
with `session_pay`. Shapes follow `fixtures3.json` `resources["checkout.session"]`. A session
created with `Stripe-Account` lives on that account, and so does everything its payment creates
(a direct charge); `payment_intent_data.transfer_data` makes it a destination charge.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.urls import reverse
from stripe.params import SetupIntentRetrieveParams
from stripe.params.checkout import (
    SessionCreateParams,
    SessionExpireParams,
    SessionLineItemListParams,
    SessionListParams,
    SessionRetrieveParams,
)

from stripe_sandbox import store
from stripe_sandbox.api import ApiRequest, require, router
from stripe_sandbox.cards import Card
from stripe_sandbox.errors import CardError, InvalidRequestError, parameter_missing
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject
from stripe_sandbox.params import as_list
from stripe_sandbox.resources.accounts import get_connected_account
from stripe_sandbox.resources.customers import customer_create_object
from stripe_sandbox.resources.payments import (
    bank_payment_method_create_object,
    billing_details,
    payment_intent_attempt,
    payment_intent_charge,
    payment_intent_create_object,
    payment_method_create_object,
)
from stripe_sandbox.resources.products import price_create_object
from stripe_sandbox.resources.subscriptions import subscription_start
from stripe_sandbox.routers import SANDBOX_DATABASE

DEFAULT_LIFETIME = timedelta(hours=24)
MIN_LIFETIME = timedelta(minutes=30)
# Stripe rejects expires_at under 30 minutes ahead; allow for the clock the caller read it from.
CLOCK_SLACK_SECONDS = 60
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


class SessionClosed(Exception):
    """The session can no longer be paid (complete or expired); `status` says which."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


def _line_item(item: dict[str, Any], index: int, *, account: str, mode: str) -> dict[str, Any]:
    prefix = f"line_items[{index}]"
    price_id = item.get("price")
    price_data = item.get("price_data")
    if price_id and price_data:
        raise InvalidRequestError(
            f"You may only specify one of these parameters: {prefix}[price], {prefix}[price_data].",
            param=f"{prefix}[price]",
        )
    if price_id:
        price = store.get_object("price", price_id, account=account, param=f"{prefix}[price]").data
    elif price_data:
        price = price_create_object(
            account=account,
            params=price_data,
            param=f"{prefix}[price_data]",
            active=False,
            emit=False,
        ).data
    else:
        raise InvalidRequestError(
            f"You must specify either `price` or `price_data` in {prefix}.",
            param=f"{prefix}[price]",
        )
    quantity = item.get("quantity")
    if quantity is None:
        raise InvalidRequestError(
            f"Quantity is required. Add `quantity` to `{prefix}`.",
            param=f"{prefix}[quantity]",
        )
    if quantity < 1:
        raise InvalidRequestError(
            "This value must be greater than or equal to 1.", param=f"{prefix}[quantity]"
        )
    if mode == "payment" and price["type"] == "recurring":
        raise InvalidRequestError(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=f"{prefix}[price]",
        )
    product = store.find_object("product", price["product"], account=account)
    amount = price["unit_amount"] * quantity
    return {
        "id": store.new_id("li"),
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price["currency"],
        "description": product.data["name"] if product else None,
        "metadata": item.get("metadata") or {},
        "price": price,
        "quantity": quantity,
    }


def _expires_at(params: dict[str, Any]) -> int:
    now = store.now()
    expires_at = params.get("expires_at")
    if expires_at in (None, ""):
        return now + int(DEFAULT_LIFETIME.total_seconds())
    if expires_at < now + int(MIN_LIFETIME.total_seconds()) - CLOCK_SLACK_SECONDS:
        raise InvalidRequestError(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )
    if expires_at > now + int(DEFAULT_LIFETIME.total_seconds()):
        raise InvalidRequestError(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return expires_at


def _payment_intent_data(
    params: dict[str, Any], *, account: str, amount_total: int
) -> dict[str, Any]:
    data = params.get("payment_intent_data") or {}
    if not data:
        return {}
    if params.get("mode") != "payment":
        raise InvalidRequestError(
            "You can only pass `payment_intent_data` in `payment` mode.",
            param="payment_intent_data",
        )
    transfer_data = data.get("transfer_data") or None
    fee = data.get("application_fee_amount")
    if transfer_data:
        if account:
            raise InvalidRequestError(
                "You cannot use `transfer_data` with the Stripe-Account header: a payment on a "
                "connected account cannot also transfer to one.",
                param="payment_intent_data[transfer_data][destination]",
            )
        get_connected_account(
            transfer_data["destination"],
            param="payment_intent_data[transfer_data][destination]",
        )
        if transfer_data.get("amount") is not None:
            if fee is not None:
                raise InvalidRequestError(
                    "You may only specify one of these parameters: "
                    "payment_intent_data[application_fee_amount], "
                    "payment_intent_data[transfer_data][amount].",
                    param="payment_intent_data[application_fee_amount]",
                )
            if not 0 < transfer_data["amount"] <= amount_total:
                raise InvalidRequestError(
                    "The transfer amount must be positive and no more than the total.",
                    param="payment_intent_data[transfer_data][amount]",
                )
    if fee is not None:
        if not account and not transfer_data:
            raise InvalidRequestError(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting "
                "a direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param="payment_intent_data[application_fee_amount]",
            )
        if not 0 <= fee <= amount_total:
            raise InvalidRequestError(
                "The application fee cannot be negative or more than the total amount.",
                param="payment_intent_data[application_fee_amount]",
            )
    if data.get("on_behalf_of"):
        get_connected_account(data["on_behalf_of"], param="payment_intent_data[on_behalf_of]")
    if data.get("capture_method") == "manual":
        raise InvalidRequestError(
            "The sandbox only captures automatically.", param="payment_intent_data[capture_method]"
        )
    return data


def _subscription_data(params: dict[str, Any], *, account: str) -> dict[str, Any]:
    data = params.get("subscription_data") or {}
    if not data:
        return {}
    if params.get("mode") != "subscription":
        raise InvalidRequestError(
            "You can only pass `subscription_data` in `subscription` mode.",
            param="subscription_data",
        )
    percent = data.get("application_fee_percent")
    transfer_data = data.get("transfer_data")
    if transfer_data:
        if account:
            raise InvalidRequestError(
                "You cannot use `transfer_data` with the Stripe-Account header.",
                param="subscription_data[transfer_data][destination]",
            )
        get_connected_account(
            transfer_data["destination"], param="subscription_data[transfer_data][destination]"
        )
    if percent is not None:
        if not account and not transfer_data:
            raise InvalidRequestError(
                "Can only apply an application_fee_percent on a connected account (Stripe-"
                "Account header) or with `transfer_data[destination]`.",
                param="subscription_data[application_fee_percent]",
            )
        if not 0 <= percent <= 100:
            raise InvalidRequestError(
                "The application fee percent must be between 0 and 100.",
                param="subscription_data[application_fee_percent]",
            )
    return data


def _customer(params: dict[str, Any], *, account: str, mode: str) -> tuple[str | None, str | None]:
    customer_id = params.get("customer") or None
    customer_email = params.get("customer_email") or None
    creation = params.get("customer_creation") or None
    if customer_id and customer_email:
        raise InvalidRequestError(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    if creation and mode != "payment":
        raise InvalidRequestError(
            "`customer_creation` can only be used in `payment` mode.", param="customer_creation"
        )
    if creation and customer_id:
        raise InvalidRequestError(
            "You may only specify one of these parameters: customer, customer_creation.",
            param="customer_creation",
        )
    if creation and creation not in ("always", "if_required"):
        raise InvalidRequestError(
            "Invalid customer_creation: must be one of always or if_required",
            param="customer_creation",
        )
    if customer_id:
        customer = store.get_object("customer", customer_id, account=account, param="customer")
        if customer.internal.get("deleted"):
            raise InvalidRequestError(f"No such customer: '{customer_id}'", param="customer")
    return customer_id, customer_email


@router.route("POST", "/v1/checkout/sessions", params=SessionCreateParams)
def session_create(request: ApiRequest) -> dict:
    params = request.params
    account = request.account
    mode = require(request, "mode")
    if mode not in ("payment", "subscription", "setup"):
        raise InvalidRequestError(
            "The sandbox supports `payment`, `subscription` and `setup` mode Checkout Sessions.",
            param="mode",
        )
    ui_mode = params.get("ui_mode") or "hosted_page"
    if ui_mode != "hosted_page":
        raise InvalidRequestError(
            "The sandbox only serves hosted Checkout pages (`ui_mode=hosted_page`).",
            param="ui_mode",
        )
    customer_id, customer_email = _customer(params, account=account, mode=mode)
    raw_items = as_list(params.get("line_items"))
    if mode == "setup":
        return _setup_session_create(request, customer_id=customer_id, email=customer_email)
    if params.get("setup_intent_data"):
        raise InvalidRequestError(
            "You can only pass `setup_intent_data` in `setup` mode.", param="setup_intent_data"
        )
    if not raw_items:
        raise parameter_missing("line_items")
    items = [
        _line_item(item, index, account=account, mode=mode) for index, item in enumerate(raw_items)
    ]
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise InvalidRequestError(
            "All `line_items` must use the same currency.", param="line_items"
        )
    if mode == "subscription" and not any(item["price"]["type"] == "recurring" for item in items):
        raise InvalidRequestError(
            "You must provide at least one recurring price in `subscription` mode when using "
            "prices.",
            param="line_items",
        )
    amount_total = sum(item["amount_total"] for item in items)
    payment_intent_data = _payment_intent_data(params, account=account, amount_total=amount_total)
    subscription_data = _subscription_data(params, account=account)
    expires_at = _expires_at(params)
    creation = params.get("customer_creation") or ("if_required" if mode == "payment" else None)
    session_id = store.new_id("cs_test", length=58)
    url = request.absolute_url(reverse("stripe_sandbox:checkout-page", args=[session_id]))
    obj = store.create_object(
        "checkout.session",
        {
            "adaptive_pricing": {"enabled": False},
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": amount_total,
            "amount_total": amount_total,
            "automatic_tax": {
                "enabled": False,
                "liability": None,
                "provider": None,
                "status": None,
            },
            "billing_address_collection": None,
            "cancel_url": params.get("cancel_url") or None,
            "client_reference_id": params.get("client_reference_id") or None,
            "client_secret": None,
            "collected_information": None,
            "consent": None,
            "consent_collection": None,
            "currency": currencies.pop(),
            "currency_conversion": None,
            "custom_fields": [],
            "custom_text": {
                "after_submit": None,
                "shipping_address": None,
                "submit": None,
                "terms_of_service_acceptance": None,
            },
            "customer": customer_id,
            "customer_account": None,
            "customer_creation": creation,
            "customer_details": None,
            "customer_email": customer_email,
            "discounts": [],
            "expires_at": expires_at,
            "integration_identifier": None,
            "invoice": None,
            "invoice_creation": None,
            "locale": params.get("locale") or None,
            "metadata": params.get("metadata") or {},
            "mode": mode,
            "origin_context": None,
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": "always" if mode == "subscription" else "if_required",
            "payment_method_configuration_details": None,
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "permissions": None,
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "saved_payment_method_options": None,
            "setup_intent": None,
            "shipping_address_collection": None,
            "shipping_cost": None,
            "shipping_options": [],
            "status": "open",
            "submit_type": params.get("submit_type") or None,
            "subscription": None,
            "success_url": params.get("success_url") or None,
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": ui_mode,
            "url": url,
            "wallet_options": None,
        },
        account=account,
        object_id=session_id,
        internal={
            "line_items": items,
            "payment_intent_data": payment_intent_data,
            "subscription_data": subscription_data,
        },
    )
    return _with_line_items(obj, request)


def _setup_session_create(
    request: ApiRequest, *, customer_id: str | None, email: str | None
) -> dict:
    """A `setup` mode session: collects a card for later payments, charges nothing.

    https://docs.stripe.com/payments/save-and-reuse?platform=checkout
    """
    params = request.params
    if params.get("line_items"):
        raise InvalidRequestError(
            "You cannot pass `line_items` in `setup` mode.", param="line_items"
        )
    for name in ("payment_intent_data", "subscription_data"):
        if params.get(name):
            raise InvalidRequestError(
                f"You can only pass `{name}` in "
                f"`{'payment' if name == 'payment_intent_data' else 'subscription'}` mode.",
                param=name,
            )
    currency = params.get("currency") or None
    if currency is None and not params.get("payment_method_types"):
        raise InvalidRequestError(
            "`currency` is required in `setup` mode when `payment_method_types` is not set.",
            param="currency",
        )
    session_id = store.new_id("cs_test", length=58)
    url = request.absolute_url(reverse("stripe_sandbox:checkout-page", args=[session_id]))
    setup_data = params.get("setup_intent_data") or {}
    obj = store.create_object(
        "checkout.session",
        {
            "amount_subtotal": None,
            "amount_total": None,
            "cancel_url": params.get("cancel_url") or None,
            "client_reference_id": params.get("client_reference_id") or None,
            "currency": currency,
            "customer": customer_id,
            "customer_creation": None,
            "customer_details": None,
            "customer_email": email,
            "expires_at": _expires_at(params),
            "invoice": None,
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "mode": "setup",
            "payment_intent": None,
            "payment_method_collection": "always",
            "payment_method_types": ["card"],
            "payment_status": "no_payment_required",
            "setup_intent": None,
            "status": "open",
            "subscription": None,
            "success_url": params.get("success_url") or None,
            "ui_mode": "hosted_page",
            "url": url,
        },
        account=request.account,
        object_id=session_id,
        internal={"line_items": [], "setup_intent_data": setup_data},
    )
    return _with_line_items(obj, request)


def _pay_setup(obj: SandboxObject, *, email: str, card: Card) -> PaymentResult:
    """Save the card: a succeeded SetupIntent with the card attached to the session's customer.
    A card that declines at once is refused here; 0341 saves (it only fails later charges)."""
    if card.behaviour.decline:
        code, decline_code, message = card.behaviour.decline
        return PaymentResult(
            session=copy.deepcopy(obj.data),
            error=CardError(message, code=code, decline_code=decline_code),
        )
    account = obj.account
    customer_id = obj.data["customer"]
    payment_method = payment_method_create_object(
        account=account,
        card=card,
        billing_details=billing_details(email=email, name=card.name),
        customer=customer_id,
    )
    setup_data = obj.internal.get("setup_intent_data") or {}
    intent = store.create_object(
        "setup_intent",
        {
            "application": None,
            "automatic_payment_methods": None,
            "cancellation_reason": None,
            "client_secret": None,
            "customer": customer_id,
            "description": setup_data.get("description") or None,
            "flow_directions": None,
            "last_setup_error": None,
            "latest_attempt": None,
            "mandate": None,
            "metadata": setup_data.get("metadata") or {},
            "next_action": None,
            "on_behalf_of": setup_data.get("on_behalf_of") or None,
            "payment_method": payment_method.id,
            "payment_method_options": {},
            "payment_method_types": ["card"],
            "single_use_mandate": None,
            "status": "succeeded",
            "usage": "off_session",
        },
        account=account,
    )
    emit_event("setup_intent.succeeded", intent.data, account=account)
    session_complete(obj, email=email, name=card.name, customer=customer_id, setup_intent=intent.id)
    return PaymentResult(session=copy.deepcopy(obj.data))


@router.route("GET", "/v1/setup_intents/{intent}", params=SetupIntentRetrieveParams)
def setup_intent_retrieve(request: ApiRequest) -> dict:
    return store.get_object(
        "setup_intent", request.path_params["intent"], account=request.account
    ).data


def _with_line_items(obj: SandboxObject, request: ApiRequest) -> dict:
    if "line_items" not in request.expand:
        return obj.data
    data = dict(obj.data)
    data["line_items"] = _line_items_list(obj, {})
    return data


def _line_items_list(obj: SandboxObject, params: dict[str, Any]) -> dict[str, Any]:
    items = obj.internal.get("line_items", [])
    limit = params.get("limit", 10)
    starting_after = params.get("starting_after")
    if starting_after:
        ids = [item["id"] for item in items]
        if starting_after in ids:
            items = items[ids.index(starting_after) + 1 :]
    return {
        "object": "list",
        "data": items[:limit],
        "has_more": len(items) > limit,
        "url": f"/v1/checkout/sessions/{obj.id}/line_items",
    }


def session_refresh(obj: SandboxObject) -> SandboxObject:
    """Expire an open session whose `expires_at` has passed (Stripe does it on a timer; the
    sandbox does it whenever the session is looked at) and emit `checkout.session.expired`."""
    if obj.data["status"] == "open" and obj.data["expires_at"] <= store.now():
        _expire(obj)
    return obj


def _expire(obj: SandboxObject) -> None:
    store.save_object(obj, status="expired", url=None)
    emit_event("checkout.session.expired", obj.data, account=obj.account)


def _session(request: ApiRequest) -> SandboxObject:
    obj = store.get_object(
        "checkout.session", request.path_params["session"], account=request.account
    )
    return session_refresh(obj)


@router.route("GET", "/v1/checkout/sessions/{session}", params=SessionRetrieveParams)
def session_retrieve(request: ApiRequest) -> dict:
    return _with_line_items(_session(request), request)


@router.route("POST", "/v1/checkout/sessions/{session}/expire", params=SessionExpireParams)
def session_expire(request: ApiRequest) -> dict:
    obj = _session(request)
    if obj.data["status"] != "open":
        raise InvalidRequestError(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This '
            f'Checkout Session has a status of "{obj.data["status"]}".',
        )
    _expire(obj)
    return obj.data


@router.route("GET", "/v1/checkout/sessions/{session}/line_items", params=SessionLineItemListParams)
def session_line_items(request: ApiRequest) -> dict:
    return _line_items_list(_session(request), request.params)


@router.route("GET", "/v1/checkout/sessions", params=SessionListParams)
def session_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="checkout.session", account=request.account)
    for stale in queryset.filter(data__status="open", data__expires_at__lte=store.now()):
        _expire(stale)
    queryset = store.filter_exact(
        queryset, params, "payment_intent", "customer", "status", "subscription"
    )
    email = (params.get("customer_details") or {}).get("email")
    if email:
        queryset = queryset.filter(data__customer_details__email=email)
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/checkout/sessions")


# --- Paying on the hosted page -----------------------------------------------------------


@dataclass(frozen=True)
class PaymentResult:
    session: dict[str, Any]
    error: CardError | None = None

    @property
    def redirect_url(self) -> str | None:
        url = self.session.get("success_url")
        if not url:
            return None
        return url.replace(SESSION_ID_PLACEHOLDER, self.session["id"])


def session_for_page(session_id: str) -> SandboxObject | None:
    obj = store.find_object("checkout.session", session_id, account=None)
    return session_refresh(obj) if obj is not None else None


def _open_session(obj: SandboxObject) -> None:
    session_refresh(obj)
    if obj.data["status"] != "open":
        raise SessionClosed(obj.data["status"])


def _payment_intent_for(obj: SandboxObject) -> SandboxObject:
    """The session's payment intent: created at the first attempt, reused by retries."""
    data = obj.data
    if obj.internal.get("payment_intent"):
        intent = store.find_object(
            "payment_intent", obj.internal["payment_intent"], account=obj.account
        )
        if intent is not None:
            return intent
    intent_data = obj.internal.get("payment_intent_data") or {}
    intent = payment_intent_create_object(
        account=obj.account,
        amount=data["amount_total"],
        currency=data["currency"],
        customer=data["customer"],
        description=intent_data.get("description") or None,
        metadata=intent_data.get("metadata") or {},
        application_fee_amount=intent_data.get("application_fee_amount"),
        transfer_data=intent_data.get("transfer_data") or None,
        on_behalf_of=intent_data.get("on_behalf_of") or None,
        transfer_group=intent_data.get("transfer_group") or None,
        receipt_email=intent_data.get("receipt_email") or None,
        setup_future_usage=intent_data.get("setup_future_usage") or None,
    )
    obj.internal["payment_intent"] = intent.id
    obj.save(using=SANDBOX_DATABASE)
    return intent


def _customer_after_payment(
    obj: SandboxObject, *, email: str, name: str, paid: list[SandboxObject]
) -> str | None:
    """`customer_creation=always` creates the customer once the payment went through, on the
    session's account; the payment's objects then point at it."""
    customer_id = obj.data["customer"]
    if customer_id is None and obj.data["customer_creation"] == "always":
        customer_id = customer_create_object(account=obj.account, email=email, name=name or None).id
        for target in paid:
            store.save_object(target, customer=customer_id)
    return customer_id


def session_pay(obj: SandboxObject, *, email: str, card: Card) -> PaymentResult:
    """Pay an open session with a card typed on the hosted page (run inside a transaction).

    A decline records the failed charge on the payment intent (as Stripe does) and leaves the
    session open and unpaid; success completes it and emits `checkout.session.completed`.
    """
    _open_session(obj)
    if obj.data["mode"] == "subscription":
        return _pay_subscription(obj, email=email, card=card)
    if obj.data["mode"] == "setup":
        return _pay_setup(obj, email=email, card=card)
    intent = _payment_intent_for(obj)
    payment_method = payment_method_create_object(
        account=obj.account,
        card=card,
        billing_details=billing_details(email=email, name=card.name),
        customer=obj.data["customer"],
    )
    charge, error = payment_intent_attempt(intent, payment_method=payment_method)
    if error is not None:
        return PaymentResult(session=copy.deepcopy(obj.data), error=error)
    customer_id = _customer_after_payment(
        obj, email=email, name=card.name, paid=[intent, charge, payment_method]
    )
    session_complete(
        obj, email=email, name=card.name, customer=customer_id, payment_intent=intent.id
    )
    return PaymentResult(session=copy.deepcopy(obj.data))


def session_pay_bank_debit(obj: SandboxObject, *, email: str, name: str) -> PaymentResult:
    """Pay with a (test) US bank account debit, a delayed payment method: the session completes
    `unpaid` with the payment intent `processing`, and `session_settle_bank_debit` later
    succeeds or fails it (`checkout.session.async_payment_succeeded` / `_failed`)."""
    _open_session(obj)
    if obj.data["mode"] != "payment":
        raise InvalidRequestError("Bank debits are offered in payment mode only.")
    intent = _payment_intent_for(obj)
    payment_method = bank_payment_method_create_object(
        account=obj.account,
        billing_details=billing_details(email=email, name=name),
        customer=obj.data["customer"],
    )
    store.save_object(
        intent,
        status="processing",
        payment_method=payment_method.id,
        payment_method_types=["card", "us_bank_account"],
    )
    emit_event("payment_intent.processing", intent.data, account=obj.account)
    customer_id = _customer_after_payment(
        obj, email=email, name=name, paid=[intent, payment_method]
    )
    obj.internal["bank_debit"] = "processing"
    session_complete(
        obj,
        email=email,
        name=name,
        customer=customer_id,
        payment_intent=intent.id,
        payment_status="unpaid",
    )
    return PaymentResult(session=copy.deepcopy(obj.data))


BANK_DEBIT_FAILURE = (
    "insufficient_funds",
    "insufficient_funds",
    "The customer's bank account has insufficient funds to cover this payment.",
)


def session_settle_bank_debit(obj: SandboxObject, *, succeed: bool) -> None:
    """Finish a processing bank debit: charge it (with the money movement of its charge type)
    or fail it, and tell the platform with the async Checkout event."""
    if obj.internal.get("bank_debit") != "processing":
        raise InvalidRequestError("This Checkout Session has no bank debit processing.")
    intent = store.get_object("payment_intent", obj.data["payment_intent"], account=obj.account)
    payment_method = store.get_object(
        "payment_method", intent.data["payment_method"], account=obj.account
    )
    _, error = payment_intent_charge(
        intent,
        payment_method=payment_method,
        payment_method_details={
            "type": "us_bank_account",
            "us_bank_account": payment_method.data["us_bank_account"],
        },
        decline=None if succeed else BANK_DEBIT_FAILURE,
    )
    obj.internal["bank_debit"] = "failed" if error else "succeeded"
    if error is None:
        store.save_object(obj, payment_status="paid")
        emit_event(
            "checkout.session.async_payment_succeeded",
            obj.data,
            account=obj.account,
            previous_attributes={"payment_status": "unpaid"},
        )
    else:
        obj.save(using=SANDBOX_DATABASE)
        emit_event("checkout.session.async_payment_failed", obj.data, account=obj.account)


def session_complete(
    obj: SandboxObject,
    *,
    email: str,
    name: str,
    customer: str | None,
    payment_intent: str | None = None,
    subscription: str | None = None,
    invoice: str | None = None,
    setup_intent: str | None = None,
    payment_status: str = "paid",
) -> None:
    store.save_object(
        obj,
        setup_intent=setup_intent,
        status="complete",
        payment_status=payment_status if obj.data["amount_total"] else "no_payment_required",
        payment_intent=payment_intent,
        subscription=subscription,
        invoice=invoice,
        customer=customer,
        customer_details={
            "address": None,
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": name or None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        url=None,
    )
    emit_event("checkout.session.completed", obj.data, account=obj.account)


def _pay_subscription(obj: SandboxObject, *, email: str, card: Card) -> PaymentResult:
    """Start the subscription: a declined card creates nothing (Checkout confirms the card
    before the subscription exists); otherwise the customer (created if needed) gets the card
    as default payment method and the first invoice is paid."""
    behaviour = card.behaviour
    if behaviour.decline:
        code, decline_code, message = behaviour.decline
        return PaymentResult(
            session=copy.deepcopy(obj.data),
            error=CardError(message, code=code, decline_code=decline_code),
        )
    data = obj.data
    account = obj.account
    if data["customer"]:
        customer = store.get_object("customer", data["customer"], account=account)
    else:
        customer = customer_create_object(account=account, email=email, name=card.name or None)
    payment_method = payment_method_create_object(
        account=account,
        card=card,
        billing_details=billing_details(email=email, name=card.name),
        customer=customer.id,
    )
    settings = {**customer.data["invoice_settings"], "default_payment_method": payment_method.id}
    store.save_object(customer, invoice_settings=settings)
    subscription, invoice = subscription_start(
        account=account,
        customer=customer,
        line_items=obj.internal.get("line_items", []),
        currency=data["currency"],
        payment_method=payment_method,
        subscription_data=obj.internal.get("subscription_data") or {},
    )
    session_complete(
        obj,
        email=email,
        name=card.name,
        customer=customer.id,
        subscription=subscription.id,
        invoice=invoice.id,
    )
    return PaymentResult(session=copy.deepcopy(obj.data))
