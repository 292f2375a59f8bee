"""Payment pages: the hosted Checkout page a session's `url` opens (/stripe-sandbox/pay/<id>/),
and the inspector's payment actions.

It works without JavaScript: the form POSTs here and a successful payment answers 303 to the
session's `success_url` (with `{CHECKOUT_SESSION_ID}` filled in). The form is CSRF-exempt, like
Stripe's own page is no part of the app's site: the session id in the URL is the credential.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import money, store
from .cards import TEST_CARDS, card_from_form
from .errors import CardError, StripeError
from .models import SandboxObject
from .resources.accounts import platform_account
from .resources.checkout import (
    SESSION_ID_PLACEHOLDER,
    SessionClosed,
    session_for_page,
    session_pay,
    session_pay_bank_debit,
    session_settle_bank_debit,
)
from .resources.disputes import charge_dispute_open, dispute_close_object
from .resources.payouts import time_passes
from .resources.subscriptions import subscription_advance
from .routers import SANDBOX_DATABASE

FIELDS = (
    "email",
    "payment_method_type",
    "card_number",
    "card_expiry",
    "card_cvc",
    "card_name",
)


def merchant_name(session: SandboxObject) -> str:
    """Who the buyer pays, as Stripe's page shows it: the connected account for a direct
    charge (or `on_behalf_of`), else the platform."""
    intent_data = session.internal.get("payment_intent_data") or {}
    account_id = session.account or intent_data.get("on_behalf_of")
    if not account_id:
        return platform_account()["settings"]["dashboard"]["display_name"]
    account = store.find_object("account", account_id)
    if account is None:
        return account_id
    data = account.data
    return (
        (data.get("business_profile") or {}).get("name")
        or ((data.get("settings") or {}).get("dashboard") or {}).get("display_name")
        or data.get("email")
        or account_id
    )


def _customer_email(session: SandboxObject) -> str:
    data = session.data
    if data.get("customer_email"):
        return data["customer_email"]
    if data.get("customer"):
        customer = store.find_object("customer", data["customer"], account=session.account)
        if customer is not None:
            return customer.data.get("email") or ""
    return ""


def _context(session: SandboxObject, **extra: Any) -> dict[str, Any]:
    data = session.data
    currency = data["currency"]
    items = []
    for item in session.internal.get("line_items", []):
        recurring = item["price"].get("recurring")
        items.append(
            {
                "description": item["description"] or "Item",
                "quantity": item["quantity"],
                "amount": money.format_amount(item["amount_total"], currency),
                "interval": _interval(recurring) if recurring else "",
            }
        )
    return {
        "session": data,
        "merchant": merchant_name(session),
        "items": items,
        "total": (
            money.format_amount(data["amount_total"], currency)
            if data["amount_total"] is not None
            else ""
        ),
        "is_setup": data["mode"] == "setup",
        "email_locked": bool(_customer_email(session)),
        "form": {"email": _customer_email(session)},
        "test_cards": TEST_CARDS,
        "is_subscription": data["mode"] == "subscription",
        "success_url": (data.get("success_url") or "").replace(SESSION_ID_PLACEHOLDER, data["id"]),
        **extra,
    }


def _interval(recurring: dict[str, Any]) -> str:
    count = recurring.get("interval_count") or 1
    if count == 1:
        return f"per {recurring['interval']}"
    return f"every {count} {recurring['interval']}s"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def checkout_page(request: HttpRequest, session_id: str) -> HttpResponse:
    with transaction.atomic(using=SANDBOX_DATABASE):
        session = session_for_page(session_id)
    if session is None:
        raise Http404("No such Checkout Session.")
    if request.method == "GET" or session.data["status"] != "open":
        return _render(request, session)

    form = {name: request.POST.get(name, "").strip() for name in FIELDS}
    email = _customer_email(session) or form["email"]
    if not email or "@" not in email:
        return _render(request, session, error="Your email address is incomplete.", form=form)
    if form["payment_method_type"] == "us_bank_account" and session.data["mode"] == "payment":
        try:
            with transaction.atomic(using=SANDBOX_DATABASE):
                result = session_pay_bank_debit(session, email=email, name=form["card_name"])
        except SessionClosed:
            return _render(request, session_for_page(session_id))
        return _after_payment(request, session, result)
    try:
        card = card_from_form(
            number=form["card_number"],
            expiry=form["card_expiry"],
            cvc=form["card_cvc"],
            name=form["card_name"],
        )
    except CardError as error:
        return _render(request, session, error=error.message, form=form)
    try:
        with transaction.atomic(using=SANDBOX_DATABASE):
            result = session_pay(session, email=email, card=card)
    except SessionClosed:
        return _render(request, session_for_page(session_id))
    if result.error is not None:
        session.refresh_from_db(using=SANDBOX_DATABASE)
        return _render(request, session, error=result.error.message, form=form)
    return _after_payment(request, session, result)


def _after_payment(request: HttpRequest, session: SandboxObject, result) -> HttpResponse:
    if result.redirect_url:
        return HttpResponseRedirect(result.redirect_url, status=303)
    session.refresh_from_db(using=SANDBOX_DATABASE)
    return _render(request, session)


def _render(
    request: HttpRequest,
    session: SandboxObject,
    *,
    error: str = "",
    form: dict[str, str] | None = None,
) -> HttpResponse:
    context = _context(session, error=error)
    if form:
        # Never echo the card number or CVC back into the page.
        context["form"] = {
            "email": context["form"]["email"] or form.get("email", ""),
            "card_expiry": form.get("card_expiry", ""),
            "card_name": form.get("card_name", ""),
            "payment_method_type": form.get("payment_method_type", ""),
        }
    return render(request, "stripe_sandbox/checkout.html", context)


@require_POST
def subscription_advance_view(request: HttpRequest, subscription_id: str) -> HttpResponse:
    """The inspector's "Advance to next period": renew (or end) the subscription now. The
    sandbox's time moves to the end of the period it leaves, so funds and automatic payouts due
    by then follow (`payouts.time_passes`)."""
    subscription = store.find_object("subscription", subscription_id, account=None)
    if subscription is None:
        raise Http404("No such subscription.")
    try:
        with transaction.atomic(using=SANDBOX_DATABASE):
            period_end = subscription.data["items"]["data"][0]["current_period_end"]
            subscription_advance(subscription)
            time_passes(now=period_end)
    except StripeError as error:
        return HttpResponseBadRequest(error.message)
    return redirect(f"{reverse('stripe_sandbox:inspector')}#payments-subscriptions")


@require_POST
def bank_debit_settle_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """The inspector's "Bank debit succeeds" / "fails" for a session paid by bank debit."""
    session = store.find_object("checkout.session", session_id, account=None)
    if session is None:
        raise Http404("No such Checkout Session.")
    try:
        with transaction.atomic(using=SANDBOX_DATABASE):
            session_settle_bank_debit(session, succeed=request.POST.get("outcome") == "succeeded")
    except StripeError as error:
        return HttpResponseBadRequest(error.message)
    return redirect(f"{reverse('stripe_sandbox:inspector')}#payments-sessions")


@require_POST
def charge_dispute_view(request: HttpRequest, charge_id: str) -> HttpResponse:
    """The inspector's "Open a dispute": the buyer's bank disputes the charge now."""
    charge = store.find_object("charge", charge_id, account=None)
    if charge is None:
        raise Http404("No such charge.")
    try:
        with transaction.atomic(using=SANDBOX_DATABASE):
            charge_dispute_open(charge)
    except StripeError as error:
        return HttpResponseBadRequest(error.message)
    return redirect(f"{reverse('stripe_sandbox:inspector')}#payments-charges")


@require_POST
def dispute_close_view(request: HttpRequest, dispute_id: str) -> HttpResponse:
    """The inspector's "Won" / "Lost": the bank decides the dispute now."""
    dispute = store.find_object("dispute", dispute_id, account=None)
    if dispute is None:
        raise Http404("No such dispute.")
    try:
        with transaction.atomic(using=SANDBOX_DATABASE):
            dispute_close_object(dispute, won=request.POST.get("outcome") == "won")
    except StripeError as error:
        return HttpResponseBadRequest(error.message)
    return redirect(f"{reverse('stripe_sandbox:inspector')}#payments-charges")
