"""Hosted pages (onboarding, Express dashboard), the inspector, and the API's Django entry point."""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import api, inspector, oauth, resources  # noqa: F401  (resources registers the routes)
from .errors import StripeError
from .models import HostedLink, WebhookDelivery
from .resources import payouts
from .resources.accounts import (
    account_complete_onboarding,
    account_request_information,
    get_connected_account,
)
from .routers import SANDBOX_DATABASE
from .webhooks import resend


def sandbox_allowed() -> bool:
    """The sandbox serves only in development, or where it was explicitly allowed."""
    return settings.STRIPE_SANDBOX_ENABLED and (settings.DEBUG or settings.STRIPE_SANDBOX_ALLOWED)


def sandbox_only(view):
    """404 unless the sandbox may run (settings.py already refuses to start otherwise)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sandbox_allowed():
            raise Http404("The Stripe sandbox is off.")
        return view(request, *args, **kwargs)

    return wrapped


@csrf_exempt
def api_dispatch(request: HttpRequest, path: str) -> HttpResponse:
    return api.dispatch(request, path)


# The SDK posts to the OAuth endpoints with the secret key, never with a CSRF token.
oauth_token = csrf_exempt(oauth.token)
oauth_deauthorize = csrf_exempt(oauth.deauthorize)
oauth_authorize = require_http_methods(["GET", "POST"])(oauth.authorize)
oauth_authorize_express = require_http_methods(["GET", "POST"])(oauth.authorize_express)


def _session_key(link: HostedLink) -> str:
    return f"stripe_sandbox_link_{link.token}"


def _open_link(request: HttpRequest, link: HostedLink) -> bool:
    """Whether this browser may use the link: its first visit (which spends it), or the same
    browser coming back (the form's POST, a reload)."""
    if request.session.get(_session_key(link)):
        return True
    if link.used_at is not None or link.expires_at < timezone.now():
        return False
    link.used_at = timezone.now()
    link.save(using=SANDBOX_DATABASE, update_fields=["used_at"])
    request.session[_session_key(link)] = True
    return True


def _account_or_404(account_id: str):
    try:
        return get_connected_account(account_id)
    except StripeError:
        raise Http404("That account is gone or disconnected.") from None


def _links(*kinds: str):
    return HostedLink.objects.using(SANDBOX_DATABASE).filter(kind__in=kinds)


@require_http_methods(["GET", "POST"])
def account_link(request: HttpRequest, token: str) -> HttpResponse:
    """The hosted onboarding page an account link's `url` opens."""
    link = get_object_or_404(
        _links(HostedLink.Kind.ACCOUNT_ONBOARDING, HostedLink.Kind.ACCOUNT_UPDATE), token=token
    )
    if not _open_link(request, link):
        # Used or expired: Stripe sends the person to refresh_url to get a fresh link.
        return HttpResponseRedirect(link.refresh_url)
    account = _account_or_404(link.account)
    if request.method == "POST":
        request.session.pop(_session_key(link), None)
        if request.POST.get("action") == "complete":
            with transaction.atomic(using=SANDBOX_DATABASE):
                account_complete_onboarding(
                    account,
                    name=request.POST.get("business_name", "").strip(),
                    url=request.POST.get("business_url", "").strip(),
                    ip=request.META.get("REMOTE_ADDR", "127.0.0.1"),
                )
        return HttpResponseRedirect(link.return_url)
    return render(
        request,
        "stripe_sandbox/account_link.html",
        {"link": link, "account": account.data},
    )


@require_GET
def express_dashboard(request: HttpRequest, token: str) -> HttpResponse:
    link = get_object_or_404(_links(HostedLink.Kind.LOGIN_LINK), token=token)
    if not _open_link(request, link):
        return render(request, "stripe_sandbox/link_expired.html", status=410)
    account = _account_or_404(link.account)
    return render(request, "stripe_sandbox/express_dashboard.html", {"account": account.data})


@require_GET
def inspector_page(request: HttpRequest) -> HttpResponse:
    return render(request, "stripe_sandbox/inspector.html", inspector.page_context())


@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(
        WebhookDelivery.objects.using(SANDBOX_DATABASE).select_related("event"), pk=pk
    )
    resend(delivery)
    return redirect(f"{redirect('stripe_sandbox:inspector').url}#events")


# What the inspector's "Ask for more" buttons on a Custom account request, as Stripe may later.
INFORMATION_REQUESTS = {
    "id_number": ["individual.id_number"],
    "document": ["individual.verification.document"],
}


@require_POST
def account_request_information_view(request: HttpRequest, account_id: str) -> HttpResponse:
    fields = INFORMATION_REQUESTS.get(request.POST.get("what", ""))
    if fields is None:
        raise Http404("Unknown request.")
    with transaction.atomic(using=SANDBOX_DATABASE):
        account_request_information(_account_or_404(account_id), fields=fields)
    return redirect(f"{redirect('stripe_sandbox:inspector').url}#accounts")


@require_POST
def account_funds_available_view(request: HttpRequest, account_id: str) -> HttpResponse:
    """Inspector: the account's pending funds become available now, as if the delay passed."""
    _account_or_404(account_id)
    with transaction.atomic(using=SANDBOX_DATABASE):
        payouts.funds_release_now(account=account_id)
    return redirect(f"{redirect('stripe_sandbox:inspector').url}#accounts")


@require_POST
def account_payouts_run_view(request: HttpRequest, account_id: str) -> HttpResponse:
    """Inspector: run the account's automatic payout now (Stripe runs it on the schedule)."""
    _account_or_404(account_id)
    with transaction.atomic(using=SANDBOX_DATABASE):
        payouts.payouts_run(account=account_id)
    return redirect(f"{redirect('stripe_sandbox:inspector').url}#accounts")
