"""The REST API at /stripe-sandbox/v1/...: routing, auth, params, idempotency, errors.

A resource module registers handlers on `router`:

    @router.route("POST", "/v1/customers", params=CustomerCreateParams)
    def customer_create(request: ApiRequest) -> dict:
        ...

and the one Django view `dispatch` does the rest, the way Stripe does it: Bearer key auth,
`Stripe-Account` scoping, form decoding and validation against the SDK's params, `Idempotency-Key`
replay, `expand[]`, a database transaction around the handler, and errors in Stripe's shape.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from . import params as params_module
from . import store
from .errors import (
    AuthenticationError,
    IdempotencyError,
    InvalidRequestError,
    PermissionError_,
    StripeError,
)
from .models import IdempotencyRecord
from .routers import SANDBOX_DATABASE

logger = logging.getLogger(__name__)

PLATFORM_SECRET_KEY = "sk_test_sandbox_platform"


@dataclass
class ApiRequest:
    """What a handler gets: validated params and who is asking."""

    method: str
    path: str
    params: dict[str, Any]
    # The connected account from the `Stripe-Account` header, or "" for the platform.
    account: str
    path_params: dict[str, str]
    request_id: str
    idempotency_key: str | None
    http: HttpRequest = field(repr=False)

    @property
    def expand(self) -> list[str]:
        return params_module.as_list(self.params.get("expand"))

    def absolute_url(self, path: str) -> str:
        """A URL on this server (for hosted pages), e.g. `absolute_url("/stripe-sandbox/x/")`.

        When the API is served apart from the pages (`make serve`), the pages' public base."""
        if settings.STRIPE_SANDBOX_PUBLIC_URL:
            return settings.STRIPE_SANDBOX_PUBLIC_URL + path
        return self.http.build_absolute_uri(path)


# The API request being handled, so events emitted inside it can carry `request.id`.
current_request: contextvars.ContextVar[ApiRequest | None] = contextvars.ContextVar(
    "stripe_sandbox_current_request", default=None
)

Handler = Callable[[ApiRequest], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    template: str
    handler: Handler
    params: type | None


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, template: str, *, params: type | None = None):
        """Register a handler for `method` and a path like "/v1/accounts/{account}".

        `params` is the SDK's TypedDict for the call (e.g. `stripe.params.AccountCreateParams`);
        requests are validated against it. Pass None only for endpoints the SDK has no params for.
        """
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(method.upper(), re.compile(f"^{regex}$"), template, handler, params)
            )
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        raise StripeError(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
            status=404,
        )


router = Router()


def json_response(body: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, indent=2), status=status, content_type="application/json"
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_response(error: StripeError, **headers: str) -> HttpResponse:
    return json_response(error.to_dict(), error.status, **headers)


def secret_key() -> str:
    return settings.STRIPE_SECRET_KEY or PLATFORM_SECRET_KEY


def bearer_key(request: HttpRequest) -> str | None:
    """The key from `Authorization: Bearer sk_...` (or Basic `sk_...:`, which Stripe accepts)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().split(":", 1)[0] or None
        except ValueError:
            return None
    return None


OAUTH_TOKEN_TYPE = "oauth_access_token"


def authenticate(request: HttpRequest) -> tuple[str, str]:
    """(API key, the account it acts as). The platform key acts as the platform (""); an OAuth
    access token acts as the connected account it was issued for, as at Stripe."""
    key = bearer_key(request)
    if not key:
        raise AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or "
            "we can help at https://support.stripe.com/."
        )
    if key == secret_key():
        return key, ""
    token = store.find_object(OAUTH_TOKEN_TYPE, key, account=None)
    if token is None:
        raise AuthenticationError(
            f"Invalid API Key provided: {mask_key(key)}", code="api_key_invalid"
        )
    return key, token.account


def mask_key(key: str) -> str:
    return f"{key[:8]}{'*' * max(len(key) - 12, 4)}{key[-4:]}" if len(key) > 12 else "****"


def connected_account(request: HttpRequest, key: str, key_account: str) -> str:
    """The account the request acts on: the `Stripe-Account` header (which must name an account
    connected to the platform) or the account an OAuth access token belongs to."""
    account_id = request.headers.get("Stripe-Account", "").strip() or key_account
    if not account_id:
        return ""
    account = store.find_object("account", account_id)
    if (
        account is None
        or not account.internal.get("connected")
        or (key_account and key_account != account_id)
    ):
        raise PermissionError_(
            f"The provided key '{mask_key(key)}' does not have access to account "
            f"'{account_id}' (or that account does not exist). Application access may have "
            "been revoked.",
            code="account_invalid",
        )
    return account_id


def decode_params(request: HttpRequest) -> dict[str, Any]:
    if request.method in ("GET", "DELETE"):
        raw = request.META.get("QUERY_STRING", "")
    else:
        raw = request.body.decode("utf-8")
    return params_module.decode_form(parse_qsl(raw, keep_blank_values=True))


def dispatch(request: HttpRequest, path: str) -> HttpResponse:
    """The single Django view behind /stripe-sandbox/v1/..."""
    request_id = store.new_id("req", length=14)
    headers = {"Request-Id": request_id, "Stripe-Version": stripe.api_version}
    try:
        key, key_account = authenticate(request)
        route, path_params = router.match(request.method, f"/v1/{path}")
        account = connected_account(request, key, key_account)
        raw_params = decode_params(request)
        validated = params_module.validate(raw_params, route.params) if route.params else raw_params
    except StripeError as error:
        return error_response(error, **headers)

    idempotency_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    api_request = ApiRequest(
        method=request.method,
        path=f"/v1/{path}",
        params=validated,
        account=account,
        path_params=path_params,
        request_id=request_id,
        idempotency_key=idempotency_key,
        http=request,
    )
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
        try:
            record, replay = _idempotency_begin(api_request, scope=f"{key}|{account}")
        except StripeError as error:
            return error_response(error, **headers)
        if replay is not None:
            return replay
    else:
        record = None

    status, body = _run(route, api_request)
    if record is not None:
        if status >= 500:
            record.delete()
        else:
            record.status_code = status
            record.response_body = json.dumps(body, indent=2)
            record.save(using=SANDBOX_DATABASE, update_fields=["status_code", "response_body"])
    return json_response(body, status, **headers)


def _run(route: Route, api_request: ApiRequest) -> tuple[int, dict[str, Any]]:
    token = current_request.set(api_request)
    try:
        with transaction.atomic(using=SANDBOX_DATABASE):
            result = route.handler(api_request)
            if api_request.expand:
                result = store.expand(result, api_request.expand, account=api_request.account)
        return 200, result
    except StripeError as error:
        return error.status, error.to_dict()
    except Exception:
        logger.exception("Stripe sandbox handler failed: %s %s", route.method, route.template)
        return 500, StripeError(
            "The Stripe sandbox failed to handle this request (see the server log).",
            type="api_error",
            status=500,
        ).to_dict()
    finally:
        current_request.reset(token)


def _params_hash(api_request: ApiRequest) -> str:
    canonical = json.dumps(
        [api_request.method, api_request.path, api_request.params], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_begin(
    api_request: ApiRequest, *, scope: str
) -> tuple[IdempotencyRecord | None, HttpResponse | None]:
    """Claim the key for this request, or answer with the first response given to it.

    https://docs.stripe.com/api/idempotent_requests: same key and same parameters replay the
    saved response; different parameters are an `idempotency_error`; a request still running
    with the key answers 409.
    """
    params_hash = _params_hash(api_request)
    records = IdempotencyRecord.objects.using(SANDBOX_DATABASE)
    try:
        with transaction.atomic(using=SANDBOX_DATABASE):
            record = records.create(
                scope=scope,
                key=api_request.idempotency_key,
                method=api_request.method,
                path=api_request.path,
                params_hash=params_hash,
            )
        return record, None
    except IntegrityError:
        existing = records.get(scope=scope, key=api_request.idempotency_key)
    if existing.params_hash != params_hash:
        raise IdempotencyError(
            "Keys for idempotent requests can only be used with the same parameters they were "
            "first used with. Try using a key other than "
            f"'{api_request.idempotency_key}' if you meant to execute a different request.",
        )
    if existing.status_code is None:
        raise IdempotencyError(
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going "
            f"through): {api_request.idempotency_key}. Please try again later.",
            status=409,
        )
    response = HttpResponse(
        existing.response_body, status=existing.status_code, content_type="application/json"
    )
    response["Idempotent-Replayed"] = "true"
    response["Idempotency-Key"] = api_request.idempotency_key
    response["Request-Id"] = api_request.request_id
    return None, response


def require(request: ApiRequest, name: str) -> Any:
    """A parameter the handler needs though the SDK marks it optional (Stripe's 400 if absent)."""
    value = request.params.get(name)
    if value in (None, ""):
        raise InvalidRequestError(
            f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    return value
