"""Connect OAuth (Standard accounts): /oauth/authorize (consent), /oauth/token, /oauth/deauthorize.

https://docs.stripe.com/connect/oauth-reference. Errors on the token endpoints are OAuth-shaped:
`{"error": "invalid_grant", "error_description": "..."}` (a string, not Stripe's error object).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone

from . import store
from .api import OAUTH_TOKEN_TYPE, bearer_key, json_response, mask_key, secret_key
from .events import emit_event
from .models import OAuthCode
from .resources.accounts import (
    account_create_object,
    account_data,
    completed_onboarding_changes,
    connected_accounts,
)
from .routers import SANDBOX_DATABASE

CODE_TTL = timedelta(minutes=5)
PUBLISHABLE_KEY = "pk_test_sandbox_platform"


def client_id() -> str:
    return settings.STRIPE_CONNECT_CLIENT_ID or "ca_sandbox_platform"


def oauth_error(error: str, description: str, status: int = 400) -> HttpResponse:
    return json_response({"error": error, "error_description": description}, status)


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to its query string (keeping what it already has)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        (key, value) for key, value in params.items() if value is not None
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _authorize_params(source) -> dict[str, str]:
    return {
        "client_id": source.get("client_id", ""),
        "response_type": source.get("response_type", ""),
        "redirect_uri": source.get("redirect_uri", ""),
        "scope": source.get("scope", "") or "read_write",
        "state": source.get("state", ""),
        "email": source.get("stripe_user[email]", ""),
        "stripe_landing": source.get("stripe_landing", ""),
    }


def _authorize_problem(params: dict[str, str]) -> str | None:
    if params["client_id"] != client_id():
        return f"No such application: '{params['client_id'] or '(none)'}'. Check client_id."
    if params["response_type"] != "code":
        return "Invalid response_type: must be 'code'."
    if params["scope"] not in ("read_write", "read_only"):
        return "Invalid scope: must be 'read_write' or 'read_only'."
    registered = settings.STRIPE_SANDBOX_OAUTH_REDIRECT_URIS
    if not params["redirect_uri"] and registered:
        # Stripe sends the user to the application's first registered URI.
        params["redirect_uri"] = registered[0]
    parts = urlsplit(params["redirect_uri"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "Invalid redirect_uri: an absolute http(s) URL is required."
    if params["redirect_uri"] not in registered:
        # Stripe refuses any other, so a forged link cannot send the code elsewhere.
        return (
            f"Invalid redirect_uri '{params['redirect_uri']}': it must exactly match one of the "
            "redirect URIs registered in this application's Connect settings."
        )
    return None


def authorize(request: HttpRequest, express: bool = False) -> HttpResponse:
    """The consent page (GET) and its Approve/Deny form (POST)."""
    source = request.POST if request.method == "POST" else request.GET
    params = _authorize_params(source)
    problem = _authorize_problem(params)
    if problem:
        return render(request, "stripe_sandbox/oauth_error.html", {"message": problem}, status=400)
    if request.method == "POST":
        if source.get("decision") != "approve":
            return HttpResponseRedirect(
                with_query(
                    params["redirect_uri"],
                    {
                        "error": "access_denied",
                        "error_description": "The user denied your request",
                        "state": params["state"] or None,
                    },
                )
            )
        account_id, error = _approve(source, params, express=express)
        if error is None:
            code = OAuthCode.objects.using(SANDBOX_DATABASE).create(
                code=f"ac_{secrets.token_urlsafe(24)}",
                client_id=params["client_id"],
                account=account_id,
                scope=params["scope"],
                redirect_uri=params["redirect_uri"],
                expires_at=timezone.now() + CODE_TTL,
            )
            return HttpResponseRedirect(
                with_query(
                    params["redirect_uri"],
                    {"scope": params["scope"], "code": code.code, "state": params["state"] or None},
                )
            )
    else:
        error = None
    accounts = [
        {"id": obj.id, "email": obj.data.get("email") or "", "type": obj.data.get("type")}
        for obj in store.objects()
        .filter(object_type="account", account="", data__type="standard")
        .order_by("-created_at")[:50]
    ]
    return render(
        request,
        "stripe_sandbox/oauth_authorize.html",
        {"params": params, "accounts": accounts, "error": error, "express": express},
        status=400 if error else 200,
    )


def authorize_express(request: HttpRequest) -> HttpResponse:
    return authorize(request, express=True)


def _approve(source, params: dict[str, str], *, express: bool) -> tuple[str, str | None]:
    """Connect the account the person chose (or a new one) and tell the platform with
    `account.application.authorized`. Returns (account id, form error)."""
    choice = source.get("account", "new")
    with transaction.atomic(using=SANDBOX_DATABASE):
        if choice == "new":
            email = source.get("new_email", "").strip() or params["email"]
            if "@" not in email:
                return "", "Enter the email address for the new test account."
            obj = _new_consented_account(email=email, express=express)
        else:
            obj = store.find_object("account", choice)
            if obj is None:
                return "", "That account no longer exists; choose another."
            obj.internal["connected"] = True
            obj.save(using=SANDBOX_DATABASE)
        emit_event("account.application.authorized", application(), account=obj.id)
        return obj.id, None


def _new_consented_account(*, email: str, express: bool):
    """A test account made on the consent page: already onboarded, as a real Stripe user is."""
    if express:
        kind = "express"
        controller = {
            "type": "application",
            "is_controller": True,
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
            "stripe_dashboard": {"type": "express"},
        }
    else:
        kind, controller = "standard", {"type": "account"}
    obj = account_create_object(account_data(account_type=kind, controller=controller, email=email))
    obj.data.update(completed_onboarding_changes(obj))
    obj.save(using=SANDBOX_DATABASE)
    return obj


def application() -> dict[str, Any]:
    """The platform as Stripe's `application` object (the data of account.application.* events)."""
    return {"id": client_id(), "object": "application", "name": "Sandbox platform"}


def _client_problem(request: HttpRequest) -> HttpResponse | None:
    """The platform authenticates with its secret key: as `Authorization: Bearer` (what the SDK
    sends) or as the `client_secret` parameter."""
    offered = request.POST.get("client_secret") or bearer_key(request)
    if not offered:
        return oauth_error(
            "invalid_client",
            "No authentication credentials were provided. Send your secret API key in the "
            "Authorization header using the Bearer authentication method",
        )
    if offered != secret_key():
        return oauth_error("invalid_client", f"No such API key: {mask_key(offered)}")
    return None


def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return oauth_error("invalid_request", "Use POST for /oauth/token.", 405)
    problem = _client_problem(request)
    if problem is not None:
        return problem
    grant_type = request.POST.get("grant_type", "")
    if grant_type == "authorization_code":
        return _token_from_code(request.POST.get("code", ""))
    if grant_type == "refresh_token":
        return _token_from_refresh(request.POST.get("refresh_token", ""))
    return oauth_error(
        "unsupported_grant_type",
        f"Unsupported grant_type: '{grant_type}'. Use authorization_code or refresh_token.",
    )


def _token_response(account_id: str, scope: str) -> dict[str, Any]:
    refresh_token = f"rt_{secrets.token_urlsafe(24)}"
    obj = store.find_object("account", account_id)
    obj.internal.setdefault("refresh_tokens", []).append(refresh_token)
    obj.internal["scope"] = scope
    obj.save(using=SANDBOX_DATABASE)
    access_token = store.create_object(
        OAUTH_TOKEN_TYPE,
        {"scope": scope},
        account=account_id,
        object_id=f"sk_test_sandbox_oauth_{secrets.token_urlsafe(18)}",
    )
    return {
        "access_token": access_token.id,
        "livemode": False,
        "refresh_token": refresh_token,
        "scope": scope,
        "stripe_publishable_key": PUBLISHABLE_KEY,
        "stripe_user_id": account_id,
        "token_type": "bearer",
    }


def _token_from_code(code_value: str) -> HttpResponse:
    with transaction.atomic(using=SANDBOX_DATABASE):
        code = OAuthCode.objects.using(SANDBOX_DATABASE).filter(code=code_value).first()
        if code is None:
            return oauth_error("invalid_grant", f"Authorization code does not exist: {code_value}")
        if code.used_at is not None:
            return oauth_error(
                "invalid_grant", f"This authorization code has already been used: {code_value}"
            )
        if code.expires_at < timezone.now():
            return oauth_error("invalid_grant", f"Authorization code expired: {code_value}")
        if code.client_id != client_id():
            return oauth_error(
                "invalid_grant",
                f"Authorization code provided does not belong to you: {code_value}",
            )
        code.used_at = timezone.now()
        code.save(using=SANDBOX_DATABASE, update_fields=["used_at"])
        body = _token_response(code.account, code.scope)
    return json_response(body)


def _token_from_refresh(refresh_token: str) -> HttpResponse:
    with transaction.atomic(using=SANDBOX_DATABASE):
        obj = next(
            (
                account
                for account in connected_accounts()
                if refresh_token and refresh_token in account.internal.get("refresh_tokens", [])
            ),
            None,
        )
        if obj is None:
            return oauth_error("invalid_grant", f"Invalid refresh token: {refresh_token}")
        body = _token_response(obj.id, obj.internal.get("scope", "read_write"))
        body["refresh_token"] = refresh_token
    return json_response(body)


def deauthorize(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return oauth_error("invalid_request", "Use POST for /oauth/deauthorize.", 405)
    problem = _client_problem(request)
    if problem is not None:
        return problem
    given_client_id = request.POST.get("client_id", "")
    account_id = request.POST.get("stripe_user_id", "")
    if given_client_id != client_id():
        return oauth_error("invalid_client", f"No such application: '{given_client_id}'")
    with transaction.atomic(using=SANDBOX_DATABASE):
        obj = connected_accounts().filter(id=account_id).first()
        if obj is None:
            return oauth_error(
                "invalid_client",
                f"This application is not connected to stripe account {account_id}, or that "
                "account does not exist.",
            )
        obj.internal["connected"] = False
        obj.internal["refresh_tokens"] = []
        obj.save(using=SANDBOX_DATABASE)
        store.objects().filter(object_type=OAUTH_TOKEN_TYPE, account=obj.id).delete()
        emit_event(
            "account.application.deauthorized",
            application(),
            account=obj.id,
        )
    return json_response({"stripe_user_id": account_id})
