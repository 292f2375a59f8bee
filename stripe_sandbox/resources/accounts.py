"""Connect accounts: /v1/accounts, /v1/account, /v1/account_links, login links.

Shapes follow `fixtures3.json` `resources["account"]`. A freshly created account has requirements
due and charges disabled until its hosted onboarding is completed (`account_onboarding_complete`).
"""

from __future__ import annotations

import copy
import secrets
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from stripe.params import (
    AccountCreateLoginLinkParams,
    AccountCreateParams,
    AccountDeleteParams,
    AccountLinkCreateParams,
    AccountListParams,
    AccountRetrieveCurrentParams,
    AccountRetrieveParams,
    AccountUpdateParams,
)

from stripe_sandbox import store, verification
from stripe_sandbox.api import ApiRequest, require, router
from stripe_sandbox.errors import InvalidRequestError, resource_missing
from stripe_sandbox.events import emit_event
from stripe_sandbox.models import HostedLink, SandboxObject
from stripe_sandbox.routers import SANDBOX_DATABASE

ACCOUNT_LINK_TTL = timedelta(minutes=5)
LOGIN_LINK_TTL = timedelta(minutes=5)
PLATFORM_ACCOUNT_ID = "acct_1SandboxPlatform0"

# What Stripe asks an individual to provide before enabling charges and payouts.
ONBOARDING_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]

# Legacy `type` -> the controller properties Stripe reports for it.
_CONTROLLERS = {
    "standard": {
        "fees": {"payer": "account"},
        "losses": {"payments": "stripe"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "full"},
    },
    "express": {
        "fees": {"payer": "application"},
        "losses": {"payments": "application"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "express"},
    },
    "custom": {
        "fees": {"payer": "application"},
        "losses": {"payments": "application"},
        "requirement_collection": "application",
        "stripe_dashboard": {"type": "none"},
    },
}


def _requirements(currently_due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(currently_due),
        "disabled_reason": "requirements.past_due" if currently_due else None,
        "errors": [],
        "eventually_due": list(currently_due),
        "past_due": list(currently_due),
        "pending_verification": [],
    }


def _legacy_type(controller: dict[str, Any]) -> str:
    for account_type, properties in _CONTROLLERS.items():
        if all(controller.get(key) == value for key, value in properties.items()):
            return account_type
    return "none"


def _controller_from_params(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    account_type = params.get("type")
    requested = params.get("controller") or {}
    if account_type and requested:
        raise InvalidRequestError(
            "You cannot specify both `type` and `controller`; use `controller` to describe "
            "the account.",
            param="type",
        )
    if account_type:
        if account_type not in _CONTROLLERS:
            raise InvalidRequestError(
                "Invalid type: must be one of standard, express, or custom", param="type"
            )
        controller = copy.deepcopy(_CONTROLLERS[account_type])
    else:
        dashboard = (requested.get("stripe_dashboard") or {}).get("type", "full")
        defaults = _CONTROLLERS[
            {"full": "standard", "express": "express", "none": "custom"}.get(dashboard, "standard")
        ]
        controller = {
            "fees": {
                "payer": (requested.get("fees") or {}).get("payer") or defaults["fees"]["payer"]
            },
            "losses": {
                "payments": (requested.get("losses") or {}).get("payments")
                or defaults["losses"]["payments"]
            },
            "requirement_collection": requested.get("requirement_collection")
            or defaults["requirement_collection"],
            "stripe_dashboard": {"type": dashboard},
        }
        account_type = _legacy_type(controller)
    return {**controller, "is_controller": True, "type": "application"}, account_type


def account_data(
    *,
    account_type: str,
    controller: dict[str, Any],
    email: str | None = None,
    country: str = "US",
    default_currency: str = "usd",
    business_type: str | None = None,
    metadata: dict[str, str] | None = None,
    capabilities: dict[str, Any] | None = None,
    business_profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A not-yet-onboarded account's JSON: requirements due, charges and payouts disabled."""
    profile = {
        "annual_revenue": None,
        "estimated_worker_count": None,
        "mcc": None,
        "name": None,
        "product_description": None,
        "support_address": None,
        "support_email": None,
        "support_phone": None,
        "support_url": None,
        "url": None,
        "minority_owned_business_designation": None,
    }
    profile.update(business_profile or {})
    requested = capabilities or {}
    if account_type == "standard" and not requested:
        requested = {"card_payments": {"requested": True}, "transfers": {"requested": True}}
    return {
        "business_profile": profile,
        "business_type": business_type,
        "capabilities": {
            name: "inactive" for name, value in requested.items() if value.get("requested")
        },
        "charges_enabled": False,
        "controller": controller,
        "country": country,
        "default_currency": default_currency,
        "details_submitted": False,
        "email": email,
        "external_accounts": {"object": "list", "data": [], "has_more": False, "url": ""},
        "future_requirements": _requirements([]),
        "metadata": metadata or {},
        "payouts_enabled": False,
        "requirements": _requirements(ONBOARDING_REQUIREMENTS),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
            "sepa_debit_payments": {},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_payments": {"statement_descriptor_prefix": None},
            "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": None},
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
        },
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": account_type,
    }


def account_create_object(data: dict[str, Any], *, object_id: str | None = None) -> SandboxObject:
    """Store a new connected account of the platform (the API, OAuth and the demo seed use it)."""
    obj = store.create_object("account", data, object_id=object_id, internal={"connected": True})
    obj.data["external_accounts"]["url"] = f"/v1/accounts/{obj.id}/external_accounts"
    obj.save(using=SANDBOX_DATABASE)
    return obj


def completed_onboarding_changes(
    obj: SandboxObject, *, name: str = "", url: str = "", ip: str = "127.0.0.1"
) -> dict[str, Any]:
    """The top-level fields that change when an account finishes onboarding."""
    data = obj.data
    profile = dict(data.get("business_profile") or {})
    profile["mcc"] = profile.get("mcc") or "8299"
    profile["name"] = name or profile.get("name") or (data.get("email") or obj.id).split("@")[0]
    profile["url"] = url or profile.get("url") or "https://example.com"
    profile["product_description"] = profile.get("product_description") or "Online courses"
    bank_account = {
        "id": store.new_id("ba"),
        "object": "bank_account",
        "account": obj.id,
        "bank_name": "STRIPE TEST BANK",
        "country": data.get("country") or "US",
        "currency": data.get("default_currency") or "usd",
        "default_for_currency": True,
        "last4": "6789",
        "routing_number": "110000000",
        "status": "new",
    }
    return {
        "business_profile": profile,
        "business_type": data.get("business_type") or "individual",
        "capabilities": {
            name: "active"
            for name in (data.get("capabilities") or {"card_payments": 1, "transfers": 1})
        },
        "charges_enabled": True,
        "details_submitted": True,
        "external_accounts": {
            **(data.get("external_accounts") or {}),
            "data": [bank_account],
        },
        "payouts_enabled": True,
        "requirements": _requirements([]),
        "tos_acceptance": {"date": store.now(), "ip": ip, "user_agent": None},
    }


def account_complete_onboarding(obj: SandboxObject, **details: str) -> None:
    """Enable charges and payouts, and tell the platform with `account.updated`."""
    obj.internal["hosted_onboarding_complete"] = True
    obj.internal["requested"] = []
    previous = store.save_object(obj, **completed_onboarding_changes(obj, **details))
    if previous:
        emit_event("account.updated", obj.data, account=obj.id, previous_attributes=previous)


def connected_accounts():
    """The platform's connected accounts (not those that disconnected it)."""
    return store.objects().filter(object_type="account", account="", internal__connected=True)


def get_connected_account(account_id: str, *, param: str = "account") -> SandboxObject:
    obj = connected_accounts().filter(id=account_id).first()
    if obj is None:
        raise resource_missing("account", account_id, param=param)
    return obj


def _account_for(request: ApiRequest) -> SandboxObject:
    account_id = request.path_params["account"]
    if request.account and request.account != account_id:
        raise resource_missing("account", account_id)
    return get_connected_account(account_id, param="id")


@router.route("POST", "/v1/accounts", params=AccountCreateParams)
def account_create(request: ApiRequest) -> dict:
    if request.account:
        raise InvalidRequestError(
            "You cannot create connected accounts with the Stripe-Account header.",
            param="Stripe-Account",
        )
    params = request.params
    controller, account_type = _controller_from_params(params)
    data = account_data(
        account_type=account_type,
        controller=controller,
        email=params.get("email") or None,
        country=params.get("country") or "US",
        default_currency=params.get("default_currency") or "usd",
        business_type=params.get("business_type") or None,
        metadata=params.get("metadata") or {},
        capabilities=params.get("capabilities") or {},
        business_profile=params.get("business_profile") or {},
    )
    obj = account_create_object(data)
    if verification.collects_requirements_itself(obj.data):
        store.save_object(obj, **verification.requirements_state(obj.data, obj.internal))
    return obj.data


@router.route("GET", "/v1/accounts/{account}", params=AccountRetrieveParams)
def account_retrieve(request: ApiRequest) -> dict:
    return _account_for(request).data


@router.route("GET", "/v1/account", params=AccountRetrieveCurrentParams)
def account_retrieve_current(request: ApiRequest) -> dict:
    if request.account:
        return get_connected_account(request.account, param="id").data
    return platform_account()


def platform_account() -> dict:
    controller = {"type": "account"}
    data = account_data(
        account_type="standard", controller=controller, email="platform@example.com"
    )
    data.update(completed_onboarding_changes(SandboxObject(id=PLATFORM_ACCOUNT_ID, data=data)))
    data["settings"]["dashboard"]["display_name"] = "Sandbox platform"
    return {"id": PLATFORM_ACCOUNT_ID, "object": "account", "created": 1700000000, **data}


@router.route("POST", "/v1/accounts/{account}", params=AccountUpdateParams)
def account_update(request: ApiRequest) -> dict:
    obj = _account_for(request)
    changes = {key: value for key, value in request.params.items() if key != "expand"}
    provided = _provided_paths(changes)
    if isinstance(changes.get("individual"), dict):
        changes["individual"] = verification.individual_merge(obj, changes["individual"])
    bank_account = None
    external_account = changes.pop("external_account", None)
    if external_account not in (None, ""):
        bank_account, failure = verification.bank_account_from(obj, external_account)
        # Providing an external account here replaces the default one for its currency.
        remaining = {
            **obj.data["external_accounts"],
            "data": [
                item
                for item in obj.data["external_accounts"]["data"]
                if not (
                    item["default_for_currency"] and item["currency"] == bank_account["currency"]
                )
            ],
        }
        obj.data["external_accounts"] = remaining
        changes["external_accounts"] = verification.bank_accounts_attach(
            obj, bank_account, failure, default=True
        )
    updated = store.merge_update(obj.data, changes)
    fields = {key: updated[key] for key in changes}
    if verification.collects_requirements_itself(updated):
        _note_requested_fields_provided(obj, provided)
        fields.update(verification.requirements_state(updated, obj.internal))
    previous = store.save_object(obj, **fields)
    if bank_account is not None:
        emit_event("account.external_account.created", bank_account, account=obj.id)
    if previous:
        emit_event("account.updated", obj.data, account=obj.id, previous_attributes=previous)
    return obj.data


def _provided_paths(changes: dict[str, Any], prefix: str = "") -> set[str]:
    """The dotted requirement paths a request gives values for (`individual.dob.day`, ...)."""
    paths = set()
    for key, value in changes.items():
        path = f"{prefix}{key}"
        if key == "external_account":
            paths.add("external_account")
        elif isinstance(value, dict):
            paths |= _provided_paths(value, f"{path}.")
        elif value not in (None, ""):
            paths.add(path)
    return paths


def _note_requested_fields_provided(obj: SandboxObject, provided: set[str]) -> None:
    requested = obj.internal.get("requested") or []
    done = set(obj.internal.get("provided_since_request") or []) | (provided & set(requested))
    obj.internal["provided_since_request"] = sorted(done)


def account_request_information(obj: SandboxObject, *, fields: list[str], days: int = 14) -> None:
    """Stripe asks a Custom account for more information later (a verification that failed
    after the fact, a higher volume): the fields become currently due with a deadline and
    the platform hears it through `account.updated`."""
    obj.internal["requested"] = sorted(set(fields))
    obj.internal["provided_since_request"] = []
    obj.internal["deadline"] = store.now() + days * 24 * 3600
    previous = store.save_object(obj, **verification.requirements_state(obj.data, obj.internal))
    if previous:
        emit_event("account.updated", obj.data, account=obj.id, previous_attributes=previous)


@router.route("DELETE", "/v1/accounts/{account}", params=AccountDeleteParams)
def account_delete(request: ApiRequest) -> dict:
    obj = _account_for(request)
    obj.delete(using=SANDBOX_DATABASE)
    return {"id": obj.id, "object": "account", "deleted": True}


@router.route("GET", "/v1/accounts", params=AccountListParams)
def account_list(request: ApiRequest) -> dict:
    queryset = connected_accounts()
    created = request.params.get("created")
    queryset = store.filter_created(queryset, created)
    return store.list_response(queryset, request.params, url="/v1/accounts")


@router.route("POST", "/v1/account_links", params=AccountLinkCreateParams)
def account_link_create(request: ApiRequest) -> dict:
    params = request.params
    obj = get_connected_account(params["account"])
    link_type = params["type"]
    if link_type not in HostedLink.Kind.values or link_type == HostedLink.Kind.LOGIN_LINK:
        raise InvalidRequestError(
            "Invalid type: must be one of account_onboarding or account_update", param="type"
        )
    if (
        link_type == HostedLink.Kind.ACCOUNT_UPDATE
        and obj.data["controller"].get("requirement_collection") != "application"
    ):
        raise InvalidRequestError(
            "You can only create `account_update` links for accounts where "
            "`controller.requirement_collection` is `application` (Custom accounts).",
            param="type",
        )
    refresh_url = require(request, "refresh_url")
    return_url = require(request, "return_url")
    link = HostedLink.objects.using(SANDBOX_DATABASE).create(
        token=secrets.token_urlsafe(24),
        kind=link_type,
        account=obj.id,
        refresh_url=refresh_url,
        return_url=return_url,
        expires_at=timezone.now() + ACCOUNT_LINK_TTL,
    )
    return {
        "object": "account_link",
        "created": store.now(),
        "expires_at": int(link.expires_at.timestamp()),
        "url": request.absolute_url(
            reverse("stripe_sandbox:account-link", kwargs={"token": link.token})
        ),
    }


@router.route("POST", "/v1/accounts/{account}/login_links", params=AccountCreateLoginLinkParams)
def login_link_create(request: ApiRequest) -> dict:
    obj = _account_for(request)
    if obj.data["controller"].get("stripe_dashboard", {}).get("type") != "express":
        raise InvalidRequestError(
            "Cannot create a login link for an account that does not have access to the "
            "Express Dashboard.",
            param="account",
        )
    if not obj.data.get("details_submitted"):
        raise InvalidRequestError(
            "Cannot create a login link for an account that has not completed onboarding.",
            param="account",
        )
    link = HostedLink.objects.using(SANDBOX_DATABASE).create(
        token=secrets.token_urlsafe(24),
        kind=HostedLink.Kind.LOGIN_LINK,
        account=obj.id,
        expires_at=timezone.now() + LOGIN_LINK_TTL,
    )
    return {
        "object": "login_link",
        "created": store.now(),
        "url": request.absolute_url(
            reverse("stripe_sandbox:express-dashboard", kwargs={"token": link.token})
        ),
    }


def demo_account_ensure(*, account_id: str, email: str, name: str) -> tuple[SandboxObject, bool]:
    """A fully onboarded Standard account with a fixed id (for demo data). Idempotent."""
    existing = store.find_object("account", account_id)
    if existing is not None:
        changed = False
        if not existing.internal.get("connected"):
            existing.internal["connected"] = True
            changed = True
        if not existing.data.get("charges_enabled"):
            existing.data.update(completed_onboarding_changes(existing, name=name))
            changed = True
        if changed:
            existing.save(using=SANDBOX_DATABASE)
        return existing, False
    data = account_data(account_type="standard", controller={"type": "account"}, email=email)
    obj = account_create_object(data, object_id=account_id)
    obj.data.update(completed_onboarding_changes(obj, name=name))
    obj.save(using=SANDBOX_DATABASE)
    return obj, True
