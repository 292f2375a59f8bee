"""Subscriptions, invoices and test clocks.

A subscription-mode Checkout Session starts a Subscription (`sub_`) whose first Invoice (`in_`)
is paid at once with the card typed on the hosted page (saved as the default payment method).
Renewals happen when a subscription is advanced to its next period: with Stripe's test clocks
(`POST /v1/test_helpers/test_clocks/{id}/advance` renews every subscription of the clock's
customers whose period ended), or with the inspector's "Advance to next period" button
(`subscription_advance`). A renewal creates the next invoice and charges the saved card off
session: paid -> `invoice.paid`; declined (test card 4000000000000341) -> `invoice.payment_failed`
and the subscription becomes `past_due`. `application_fee_percent` and `transfer_data` apply to
every invoice's payment, so each renewal moves money like the first payment did.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from stripe.params import (
    InvoiceListParams,
    InvoicePayParams,
    InvoiceRetrieveParams,
    SubscriptionCancelParams,
    SubscriptionListParams,
    SubscriptionRetrieveParams,
    SubscriptionUpdateParams,
)
from stripe.params.test_helpers import (
    TestClockAdvanceParams,
    TestClockCreateParams,
    TestClockListParams,
    TestClockRetrieveParams,
)

from stripe_sandbox import money, store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.errors import CardError, InvalidRequestError
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import SandboxObject
from stripe_sandbox.resources.payments import (
    payment_intent_attempt,
    payment_intent_create_object,
)
from stripe_sandbox.resources.payouts import time_passes
from stripe_sandbox.routers import SANDBOX_DATABASE

# Days after a failed renewal attempt until the next one is announced (attempts 1, 2, 3).
RETRY_SCHEDULE_DAYS = (3, 5, 7)
# Renewals per advance at most, so a clock moved years ahead cannot run away.
MAX_RENEWALS_PER_ADVANCE = 60


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """`timestamp` moved on by `count` intervals; months keep the day, clamped to month end."""
    if interval == "day":
        return timestamp + 86400 * count
    if interval == "week":
        return timestamp + 7 * 86400 * count
    months = count * (12 if interval == "year" else 1)
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def clock_now(test_clock: str | None, account: str) -> int:
    if test_clock:
        clock = store.find_object("test_helpers.test_clock", test_clock, account=account)
        if clock is not None:
            return clock.data["frozen_time"]
    return store.now()


def _recurring_price(items: list[dict[str, Any]]) -> dict[str, Any]:
    return next(item["price"] for item in items if item["price"]["type"] == "recurring")


def _plan(price: dict[str, Any]) -> dict[str, Any]:
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def subscription_create_object(
    *,
    account: str,
    customer: SandboxObject,
    line_items: list[dict[str, Any]],
    currency: str,
    payment_method: str,
    subscription_data: dict[str, Any],
) -> SandboxObject:
    """A subscription starting now (its customer's test clock time, if any), `incomplete`
    until its first invoice is paid."""
    subscription_id = store.new_id("sub")
    test_clock = customer.data.get("test_clock")
    start = clock_now(test_clock, account)
    recurring = _recurring_price(line_items)["recurring"]
    end = add_interval(start, recurring["interval"], recurring["interval_count"])
    items = [
        {
            "id": store.new_id("si"),
            "object": "subscription_item",
            "created": start,
            "current_period_end": end,
            "current_period_start": start,
            "discounts": [],
            "metadata": {},
            "plan": _plan(item["price"]) if item["price"]["type"] == "recurring" else None,
            "price": item["price"],
            "quantity": item["quantity"],
            "subscription": subscription_id,
            "tax_rates": [],
        }
        for item in line_items
        if item["price"]["type"] == "recurring"
    ]
    transfer_data = subscription_data.get("transfer_data")
    return store.create_object(
        "subscription",
        {
            "application": money.PLATFORM_APPLICATION if account else None,
            "application_fee_percent": subscription_data.get("application_fee_percent"),
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": start,
            "billing_cycle_anchor_config": None,
            "billing_mode": {"type": "classic"},
            "billing_thresholds": None,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically",
            "created": start,
            "currency": currency,
            "customer": customer.id,
            "days_until_due": None,
            "default_payment_method": payment_method,
            "default_source": None,
            "default_tax_rates": [],
            "description": subscription_data.get("description") or None,
            "discounts": [],
            "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": {
                "object": "list",
                "data": items,
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={subscription_id}",
            },
            "latest_invoice": None,
            "metadata": subscription_data.get("metadata") or {},
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": subscription_data.get("on_behalf_of") or None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": start,
            "status": "incomplete",
            "test_clock": test_clock,
            "transfer_data": (
                {
                    "amount_percent": transfer_data.get("amount_percent"),
                    "destination": transfer_data["destination"],
                }
                if transfer_data
                else None
            ),
            "trial_end": None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "trial_start": None,
        },
        account=account,
        object_id=subscription_id,
    )


def _period(subscription: dict[str, Any]) -> tuple[int, int]:
    item = subscription["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def invoice_create_object(
    subscription: SandboxObject, *, billing_reason: str, customer: SandboxObject
) -> SandboxObject:
    """A finalized (`open`) invoice for the subscription's current period."""
    data = subscription.data
    account = subscription.account
    invoice_id = store.new_id("in")
    period_start, period_end = _period(data)
    now = clock_now(data["test_clock"], account)
    lines = []
    for item in data["items"]["data"]:
        price = item["price"]
        amount = price["unit_amount"] * item["quantity"]
        product = store.find_object("product", price["product"], account=account)
        name = product.data["name"] if product else "Subscription"
        lines.append(
            {
                "id": store.new_id("il"),
                "object": "line_item",
                "amount": amount,
                "currency": price["currency"],
                "description": f"{item['quantity']} × {name} "
                f"(at {money.format_amount(price['unit_amount'], price['currency'])} "
                f"/ {price['recurring']['interval']})",
                "discount_amounts": [],
                "discountable": True,
                "discounts": [],
                "invoice": invoice_id,
                "livemode": False,
                "metadata": {},
                "parent": {
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": subscription.id,
                        "subscription_item": item["id"],
                    },
                    "type": "subscription_item_details",
                },
                "period": {"end": period_end, "start": period_start},
                "pretax_credit_amounts": [],
                "pricing": {
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "type": "price_details",
                    "unit_amount_decimal": price["unit_amount_decimal"],
                },
                "quantity": item["quantity"],
                "subtotal": amount,
                "taxes": [],
            }
        )
    total = sum(line["amount"] for line in lines)
    percent = data.get("application_fee_percent")
    sequence = customer.data.get("next_invoice_sequence") or 1
    store.save_object(customer, next_invoice_sequence=sequence + 1)
    invoice = store.create_object(
        "invoice",
        {
            "account_country": "US",
            "account_name": None,
            "account_tax_ids": None,
            "amount_due": total,
            "amount_overpaid": 0,
            "amount_paid": 0,
            "amount_remaining": total,
            "amount_shipping": 0,
            "application": data["application"],
            # Stripe works the fee out from the subscription's percent when it finalizes.
            "application_fee_amount": (
                money.percent_of(total, percent) if percent is not None else None
            ),
            "attempt_count": 0,
            "attempted": False,
            "auto_advance": True,
            "automatic_tax": {
                "disabled_reason": None,
                "enabled": False,
                "liability": None,
                "provider": None,
                "status": None,
            },
            "automatically_finalizes_at": None,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "created": now,
            "currency": data["currency"],
            "custom_fields": None,
            "customer": customer.id,
            "customer_address": None,
            "customer_email": customer.data.get("email"),
            "customer_name": customer.data.get("name"),
            "customer_phone": None,
            "customer_shipping": None,
            "customer_tax_exempt": "none",
            "customer_tax_ids": [],
            "default_payment_method": None,
            "default_source": None,
            "default_tax_rates": [],
            "description": None,
            "discounts": [],
            "due_date": None,
            "effective_at": now,
            "ending_balance": 0,
            "footer": None,
            "from_invoice": None,
            "hosted_invoice_url": None,
            "invoice_pdf": None,
            "issuer": {"type": "self"},
            "last_finalization_error": None,
            "latest_revision": None,
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "metadata": {},
            "next_payment_attempt": None,
            "number": f"{customer.data.get('invoice_prefix') or 'SANDBOX'}-{sequence:04d}",
            "on_behalf_of": data["on_behalf_of"],
            "parent": {
                "quote_details": None,
                "subscription_details": {
                    "metadata": data["metadata"],
                    "subscription": subscription.id,
                },
                "type": "subscription_details",
            },
            "payment_settings": {
                "default_mandate": None,
                "payment_method_options": None,
                "payment_method_types": None,
            },
            "payments": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": "/v1/invoice_payments",
            },
            "period_end": period_end,
            "period_start": period_start,
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": None,
            "rendering": None,
            "shipping_cost": None,
            "shipping_details": None,
            "starting_balance": 0,
            "statement_descriptor": None,
            "status": "open",
            "status_transitions": {
                "finalized_at": now,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "test_clock": data["test_clock"],
            "total": total,
            "total_discount_amounts": [],
            "total_excluding_tax": total,
            "total_pretax_credit_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": now,
        },
        account=account,
        object_id=invoice_id,
    )
    store.save_object(subscription, latest_invoice=invoice.id)
    emit_event("invoice.created", invoice.data, account=account)
    emit_event("invoice.finalized", invoice.data, account=account)
    return invoice


def invoice_pay(
    invoice: SandboxObject, subscription: SandboxObject, *, off_session: bool
) -> CardError | None:
    """Charge the subscription's saved card for the invoice; None when paid, else the error.

    The payment moves money like a Checkout payment: on the subscription's account (direct),
    or on the platform with a transfer to `transfer_data.destination` (destination).
    """
    data = subscription.data
    account = subscription.account
    total = invoice.data["amount_remaining"]
    transfer_data = None
    if data.get("transfer_data"):
        transfer_data = {"destination": data["transfer_data"]["destination"]}
        if data["transfer_data"].get("amount_percent") is not None:
            transfer_data["amount"] = money.percent_of(
                total, data["transfer_data"]["amount_percent"]
            )
    intent = payment_intent_create_object(
        account=account,
        amount=total,
        currency=invoice.data["currency"],
        customer=data["customer"],
        description="Subscription creation"
        if invoice.data["billing_reason"] == "subscription_create"
        else "Subscription update",
        application_fee_amount=invoice.data.get("application_fee_amount"),
        transfer_data=transfer_data,
        on_behalf_of=data.get("on_behalf_of"),
    )
    payment_method = store.get_object(
        "payment_method", data["default_payment_method"], account=account
    )
    _, error = payment_intent_attempt(
        intent, payment_method=payment_method, off_session=off_session
    )
    now = clock_now(data["test_clock"], account)
    payment_entry = {
        "id": store.new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": None if error else total,
        "amount_requested": total,
        "created": now,
        "currency": invoice.data["currency"],
        "invoice": invoice.id,
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": intent.id, "type": "payment_intent"},
        "status": "open" if error else "paid",
        "status_transitions": {"canceled_at": None, "paid_at": None if error else now},
    }
    payments = dict(invoice.data["payments"])
    payments["data"] = [payment_entry, *payments["data"]]
    attempts = invoice.data["attempt_count"] + 1
    if error is not None:
        # When Stripe would try again (a fixed stand-in for Smart Retries); the sandbox does
        # not retry by itself: `POST /v1/invoices/{id}/pay` or a new card does.
        retry_at = (
            now + RETRY_SCHEDULE_DAYS[attempts - 1] * 86400
            if attempts <= len(RETRY_SCHEDULE_DAYS)
            else None
        )
        previous = store.save_object(
            invoice,
            attempt_count=attempts,
            attempted=True,
            payments=payments,
            next_payment_attempt=retry_at,
        )
        emit_event(
            "invoice.payment_failed",
            invoice.data,
            account=account,
            previous_attributes=previous,
        )
        return error
    transitions = {**invoice.data["status_transitions"], "paid_at": now}
    previous = store.save_object(
        invoice,
        next_payment_attempt=None,
        amount_paid=total,
        amount_remaining=0,
        attempt_count=attempts,
        attempted=True,
        status="paid",
        status_transitions=transitions,
        payments=payments,
    )
    emit_event("invoice.paid", invoice.data, account=account, previous_attributes=previous)
    emit_event("invoice.payment_succeeded", invoice.data, account=account)
    return None


def subscription_start(
    *,
    account: str,
    customer: SandboxObject,
    line_items: list[dict[str, Any]],
    currency: str,
    payment_method: SandboxObject,
    subscription_data: dict[str, Any],
) -> tuple[SandboxObject, SandboxObject]:
    """Create the subscription and pay its first invoice (Checkout checked the card already)."""
    subscription = subscription_create_object(
        account=account,
        customer=customer,
        line_items=line_items,
        currency=currency,
        payment_method=payment_method.id,
        subscription_data=subscription_data,
    )
    invoice = invoice_create_object(
        subscription, billing_reason="subscription_create", customer=customer
    )
    error = invoice_pay(invoice, subscription, off_session=False)
    status = "incomplete" if error else "active"
    store.save_object(subscription, status=status)
    emit_event("customer.subscription.created", subscription.data, account=account)
    return subscription, invoice


def _set_period(subscription: SandboxObject, start: int, end: int) -> dict[str, Any]:
    items = dict(subscription.data["items"])
    items["data"] = [
        {**item, "current_period_start": start, "current_period_end": end} for item in items["data"]
    ]
    return items


def subscription_advance(subscription: SandboxObject) -> SandboxObject | None:
    """Move the subscription to its next period now: renew it (next invoice, charged off
    session) or end it if it was set to cancel at period end. Returns the new invoice."""
    data = subscription.data
    account = subscription.account
    if data["status"] in ("canceled", "incomplete_expired", "incomplete"):
        raise InvalidRequestError(
            f"A subscription with status {data['status']!r} cannot move to its next period."
        )
    failed = _open_renewal(subscription)
    if failed is not None:
        return subscription_retry(subscription, failed)
    _, period_end = _period(data)
    if data["cancel_at_period_end"]:
        previous = store.save_object(
            subscription, status="canceled", canceled_at=period_end, ended_at=period_end
        )
        emit_event(
            "customer.subscription.deleted",
            subscription.data,
            account=account,
            previous_attributes=previous,
        )
        return None
    recurring = data["items"]["data"][0]["price"]["recurring"]
    new_end = add_interval(period_end, recurring["interval"], recurring["interval_count"])
    previous = store.save_object(subscription, items=_set_period(subscription, period_end, new_end))
    customer = store.get_object("customer", data["customer"], account=account)
    invoice = invoice_create_object(
        subscription, billing_reason="subscription_cycle", customer=customer
    )
    error = invoice_pay(invoice, subscription, off_session=True)
    status = "past_due" if error else "active"
    previous.update(store.save_object(subscription, status=status))
    emit_event(
        "customer.subscription.updated",
        subscription.data,
        account=account,
        previous_attributes=previous,
    )
    return invoice


def _open_renewal(subscription: SandboxObject) -> SandboxObject | None:
    """A past-due subscription's failed invoice, still waiting for its next attempt."""
    if subscription.data["status"] != "past_due" or not subscription.data["latest_invoice"]:
        return None
    invoice = store.find_object(
        "invoice", subscription.data["latest_invoice"], account=subscription.account
    )
    if invoice is None or invoice.data["status"] != "open":
        return None
    return invoice


def subscription_retry(subscription: SandboxObject, invoice: SandboxObject) -> SandboxObject:
    """Stripe's next automatic attempt at a failed renewal: paid -> active again; declined
    again -> the next attempt is scheduled, and after the last one the subscription is
    canceled (Stripe's default "cancel the subscription if all retries fail")."""
    account = subscription.account
    error = invoice_pay(invoice, subscription, off_session=True)
    if error is None:
        previous = store.save_object(subscription, status="active")
        emit_event(
            "customer.subscription.updated",
            subscription.data,
            account=account,
            previous_attributes=previous,
        )
    elif invoice.data["next_payment_attempt"] is None:
        now = clock_now(subscription.data["test_clock"], account)
        previous = store.save_object(
            subscription,
            status="canceled",
            canceled_at=now,
            ended_at=now,
            cancellation_details={
                "comment": None,
                "feedback": None,
                "reason": "payment_failed",
            },
        )
        emit_event(
            "customer.subscription.deleted",
            subscription.data,
            account=account,
            previous_attributes=previous,
        )
    return invoice


def subscriptions_due(clock: SandboxObject) -> list[SandboxObject]:
    """Subscriptions of the clock's customers with something due at its time: a renewal at
    period end, or the next attempt at a failed renewal."""
    due = []
    for row in store.objects().filter(
        object_type="subscription",
        account=clock.account,
        data__test_clock=clock.id,
        data__status__in=["active", "past_due", "trialing"],
    ):
        failed = _open_renewal(row)
        if failed is not None:
            attempt_at = failed.data["next_payment_attempt"]
            if attempt_at is not None and attempt_at <= clock.data["frozen_time"]:
                due.append(row)
        elif _period(row.data)[1] <= clock.data["frozen_time"]:
            due.append(row)
    return due


# --- API ---------------------------------------------------------------------------------


def _subscription(request: ApiRequest) -> SandboxObject:
    return store.get_object(
        "subscription", request.path_params["subscription"], account=request.account
    )


@router.route("GET", "/v1/subscriptions/{subscription}", params=SubscriptionRetrieveParams)
def subscription_retrieve(request: ApiRequest) -> dict:
    return _subscription(request).data


@router.route("GET", "/v1/subscriptions", params=SubscriptionListParams)
def subscription_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="subscription", account=request.account)
    status = params.get("status")
    if status and status != "all":
        queryset = queryset.filter(data__status=status)
    elif not status:
        queryset = queryset.exclude(data__status="canceled")
    queryset = store.filter_exact(queryset, params, "customer", "test_clock")
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/subscriptions")


@router.route("POST", "/v1/subscriptions/{subscription}", params=SubscriptionUpdateParams)
def subscription_update(request: ApiRequest) -> dict:
    subscription = _subscription(request)
    params = request.params
    supported = {
        "cancel_at_period_end",
        "default_payment_method",
        "metadata",
        "description",
        "expand",
    }
    unsupported = sorted(set(params) - supported)
    if unsupported:
        raise InvalidRequestError(
            f"The sandbox cannot update `{unsupported[0]}` on a subscription yet; it supports "
            "cancel_at_period_end, default_payment_method, metadata and description.",
            param=unsupported[0],
        )
    if subscription.data["status"] == "canceled":
        raise InvalidRequestError(
            "A canceled subscription can only update its cancellation_details and metadata.",
            param=next(iter(params), None),
        )
    changes: dict[str, Any] = {}
    if "metadata" in params:
        changes["metadata"] = store.merge_update(
            subscription.data, {"metadata": params["metadata"]}
        )["metadata"]
    if "description" in params:
        changes["description"] = params["description"] or None
    if params.get("default_payment_method"):
        method = store.get_object(
            "payment_method",
            params["default_payment_method"],
            account=request.account,
            param="default_payment_method",
        )
        if method.data.get("customer") != subscription.data["customer"]:
            raise InvalidRequestError(
                "The customer does not have a payment method with the ID "
                f"{method.id}. The payment method must be attached to the customer.",
                param="default_payment_method",
            )
        changes["default_payment_method"] = method.id
    if "cancel_at_period_end" in params:
        flag = bool(params["cancel_at_period_end"])
        changes["cancel_at_period_end"] = flag
        changes["cancel_at"] = _period(subscription.data)[1] if flag else None
    previous = store.save_object(subscription, **changes)
    if previous:
        emit_event(
            "customer.subscription.updated",
            subscription.data,
            account=request.account,
            previous_attributes=previous,
        )
    return subscription.data


@router.route("DELETE", "/v1/subscriptions/{subscription}", params=SubscriptionCancelParams)
def subscription_cancel(request: ApiRequest) -> dict:
    subscription = _subscription(request)
    if subscription.data["status"] == "canceled":
        raise InvalidRequestError(
            f"This subscription has already been canceled: {subscription.id}", param="id"
        )
    now = clock_now(subscription.data["test_clock"], request.account)
    details = request.params.get("cancellation_details") or {}
    previous = store.save_object(
        subscription,
        status="canceled",
        canceled_at=now,
        ended_at=now,
        cancellation_details={
            "comment": details.get("comment") or None,
            "feedback": details.get("feedback") or None,
            "reason": "cancellation_requested",
        },
    )
    emit_event(
        "customer.subscription.deleted",
        subscription.data,
        account=request.account,
        previous_attributes=previous,
    )
    return subscription.data


@router.route("GET", "/v1/invoices/{invoice}", params=InvoiceRetrieveParams)
def invoice_retrieve(request: ApiRequest) -> dict:
    return store.get_object("invoice", request.path_params["invoice"], account=request.account).data


@router.route("GET", "/v1/invoices", params=InvoiceListParams)
def invoice_list(request: ApiRequest) -> dict:
    params = request.params
    queryset = store.objects().filter(object_type="invoice", account=request.account)
    queryset = store.filter_exact(queryset, params, "customer", "status")
    if params.get("subscription"):
        queryset = queryset.filter(
            data__parent__subscription_details__subscription=params["subscription"]
        )
    queryset = store.filter_created(queryset, params.get("created"))
    return store.list_response(queryset, params, url="/v1/invoices")


@router.route("POST", "/v1/invoices/{invoice}/pay", params=InvoicePayParams)
def invoice_pay_endpoint(request: ApiRequest) -> dict:
    """Retry an open invoice with the subscription's saved card (a 402 when it declines)."""
    invoice = store.get_object("invoice", request.path_params["invoice"], account=request.account)
    if invoice.data["status"] != "open":
        raise InvalidRequestError("Invoice is already paid", code="invoice_not_open")
    subscription_id = invoice.data["parent"]["subscription_details"]["subscription"]
    subscription = store.get_object("subscription", subscription_id, account=request.account)
    error = invoice_pay(invoice, subscription, off_session=True)
    if error is not None:
        raise error
    if subscription.data["status"] == "past_due":
        previous = store.save_object(subscription, status="active")
        emit_event(
            "customer.subscription.updated",
            subscription.data,
            account=request.account,
            previous_attributes=previous,
        )
    return invoice.data


@router.route("POST", "/v1/test_helpers/test_clocks", params=TestClockCreateParams)
def test_clock_create(request: ApiRequest) -> dict:
    params = request.params
    clock = store.create_object(
        "test_helpers.test_clock",
        {
            "deletes_after": params["frozen_time"] + 30 * 86400,
            "frozen_time": params["frozen_time"],
            "name": params.get("name") or None,
            "status": "ready",
            "status_details": {},
        },
        account=request.account,
        object_id=store.new_id("clock"),
    )
    return clock.data


@router.route("GET", "/v1/test_helpers/test_clocks/{clock}", params=TestClockRetrieveParams)
def test_clock_retrieve(request: ApiRequest) -> dict:
    return store.get_object(
        "test_helpers.test_clock", request.path_params["clock"], account=request.account
    ).data


@router.route("GET", "/v1/test_helpers/test_clocks", params=TestClockListParams)
def test_clock_list(request: ApiRequest) -> dict:
    queryset = store.objects().filter(
        object_type="test_helpers.test_clock", account=request.account
    )
    return store.list_response(queryset, request.params, url="/v1/test_helpers/test_clocks")


@router.route("POST", "/v1/test_helpers/test_clocks/{clock}/advance", params=TestClockAdvanceParams)
def test_clock_advance(request: ApiRequest) -> dict:
    """Move the clock forward and run what became due: renewals and period-end cancellations,
    funds becoming available and automatic payouts (`payouts.time_passes`).

    Stripe advances asynchronously (`advancing`, then `ready`); the sandbox does the work
    within the request and answers `ready`.
    """
    clock = store.get_object(
        "test_helpers.test_clock", request.path_params["clock"], account=request.account
    )
    frozen_time = request.params["frozen_time"]
    if frozen_time <= clock.data["frozen_time"]:
        raise InvalidRequestError(
            "The frozen_time must be after the test clock's current frozen_time.",
            param="frozen_time",
        )
    store.save_object(clock, frozen_time=frozen_time)
    for _ in range(MAX_RENEWALS_PER_ADVANCE):
        due = subscriptions_due(clock)
        if not due:
            break
        for subscription in due:
            subscription_advance(subscription)
    # Funds and payouts follow the sandbox's time too.
    time_passes(now=frozen_time)
    clock.save(using=SANDBOX_DATABASE)
    emit_event("test_helpers.test_clock.ready", clock.data, account=request.account)
    return clock.data
