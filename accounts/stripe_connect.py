"""The door to Stripe for connected accounts: OAuth, accounts, account links, login links.

It also builds the project's one `StripeClient`, which the payments gateway shares. Functions here
take our types and return small frozen dataclasses; every Stripe failure leaves as one
`StripeGatewayError` whose message is safe to show, with the raw error logged.
"""

import contextlib
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import stripe
import stripe.oauth_error
from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

# Stripe answers in well under a second; a hung connection should fail while the person still
# waits, not after the SDK's default of 80 seconds (times its retries).
STRIPE_TIMEOUT_SECONDS = 20

ACCOUNT_TYPES = ("standard", "express", "custom")


class StripeGatewayError(Exception):
    """A Stripe call failed. `user_message` is safe to show; the raw error is logged."""

    def __init__(self, user_message: str, *, code: str | None = None):
        super().__init__(user_message)
        self.user_message = user_message
        self.code = code


@functools.cache
def stripe_client() -> stripe.StripeClient:
    """The one client, built from settings on first use (sandbox or real Stripe alike)."""
    options: dict = {
        "client_id": settings.STRIPE_CONNECT_CLIENT_ID,
        "max_network_retries": 2,
        "http_client": stripe.RequestsClient(timeout=STRIPE_TIMEOUT_SECONDS),
    }
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {
            "api": settings.STRIPE_SANDBOX_API_URL or settings.STRIPE_API_BASE,
            "connect": settings.STRIPE_API_BASE,
        }
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def _forget_client_when_settings_change(*, setting: str, **kwargs) -> None:
    if setting.startswith("STRIPE_") or setting == "SITE_URL":
        stripe_client.cache_clear()


setting_changed.connect(_forget_client_when_settings_change)


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectedAccount:
    """What the marketplace needs to know about a connected account."""

    id: str
    account_type: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: tuple[str, ...]


# --- Errors -----------------------------------------------------------------------------------

UNREACHABLE_MESSAGE = "Stripe could not be reached. Please try again in a moment."
UNAVAILABLE_MESSAGE = "Stripe had a problem answering. Please try again in a moment."


@contextlib.contextmanager
def _stripe_errors(action: str) -> Iterator[None]:
    """Turn any Stripe failure into a StripeGatewayError with a message a seller can act on."""
    try:
        yield
    except stripe.oauth_error.InvalidGrantError as error:
        logger.warning("Stripe refused to %s: %s", action, error)
        raise StripeGatewayError(
            "That Stripe authorisation has expired or was already used. Please connect again.",
            code="invalid_grant",
        ) from error
    except stripe.oauth_error.OAuthError as error:
        logger.error("Stripe OAuth error while trying to %s: %s", action, error)
        raise StripeGatewayError(
            "Stripe did not accept the connection request. Please try again.",
            code=error.code,
        ) from error
    except stripe.APIConnectionError as error:
        logger.error("Stripe unreachable while trying to %s: %s", action, error)
        raise StripeGatewayError(UNREACHABLE_MESSAGE, code="unreachable") from error
    except stripe.AuthenticationError as error:
        logger.critical("Stripe rejected the platform key while trying to %s: %s", action, error)
        raise StripeGatewayError(
            "Payments are not configured correctly on this site. The team has been alerted.",
            code="authentication",
        ) from error
    except stripe.PermissionError as error:
        logger.warning("Stripe denied access while trying to %s: %s", action, error)
        raise StripeGatewayError(
            "This Stripe account is no longer connected to the marketplace.",
            code=error.code or "permission_denied",
        ) from error
    except stripe.IdempotencyError as error:
        logger.warning("Conflicting repeat while trying to %s: %s", action, error)
        raise StripeGatewayError(
            "Another request is already setting up your Stripe account. Reload the page.",
            code="idempotency_error",
        ) from error
    except stripe.InvalidRequestError as error:
        logger.error("Stripe rejected the request to %s: %s", action, error)
        raise StripeGatewayError(
            "Stripe could not complete that request. Please try again.",
            code=error.code or "invalid_request",
        ) from error
    except stripe.StripeError as error:
        logger.error("Stripe failed to %s: %s", action, error)
        raise StripeGatewayError(UNAVAILABLE_MESSAGE, code=error.code or "api_error") from error


# --- OAuth (Standard accounts) ------------------------------------------------------------------


def oauth_authorize_url(*, state: str, redirect_uri: str, email: str) -> str:
    """Where to send a seller to connect an existing or new Standard account.

    The SDK builds it from the client's "connect" base address, so it points at the sandbox's
    consent page in sandbox mode and at connect.stripe.com otherwise.
    """
    return stripe_client().oauth.authorize_url(
        {
            "response_type": "code",
            "scope": "read_write",
            "redirect_uri": redirect_uri,
            "state": state,
            # Prefills Stripe's sign-up form for a seller who has no account yet.
            "stripe_user": {"email": email},
        }
    )


def oauth_token_exchange(*, code: str) -> str:
    """Exchange an authorisation code for the connected account's id.

    The token response also carries an access token and refresh token for the account. They are
    dropped here on purpose: the platform key with the `Stripe-Account` header does everything
    this marketplace needs, and a secret never stored cannot leak.
    """
    with _stripe_errors("exchange an OAuth code"):
        token = stripe_client().oauth.token({"grant_type": "authorization_code", "code": code})
    return token["stripe_user_id"]


def oauth_deauthorize(*, stripe_account_id: str) -> None:
    """Revoke the platform's access to a Standard account.

    An account that is already disconnected on Stripe's side counts as done.
    """
    try:
        with _stripe_errors("deauthorize an account"):
            stripe_client().oauth.deauthorize({"stripe_user_id": stripe_account_id})
    except StripeGatewayError as error:
        # Stripe answers invalid_client when the account is no longer connected to the platform.
        if error.code != "invalid_client":
            raise
        logger.info("%s was already disconnected on Stripe's side.", stripe_account_id)


# --- Accounts, account links and login links ---------------------------------------------------


def account_retrieve(*, stripe_account_id: str) -> ConnectedAccount:
    with _stripe_errors("retrieve an account"):
        account = stripe_client().v1.accounts.retrieve(stripe_account_id)
    return _connected_account(account)


def account_create(
    *, account_type: str, email: str, seller_id: int, idempotency_key: str
) -> ConnectedAccount:
    """Create an Express or Custom account for a seller, described by controller properties.

    https://docs.stripe.com/connect/migrate-to-controller-properties maps the old account types:
    Express is an Express dashboard with the platform paying fees and owning losses; Custom has
    no Stripe dashboard and the platform collects requirements (through Account Links here).
    """
    if account_type == "express":
        controller = {
            "stripe_dashboard": {"type": "express"},
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
        }
    elif account_type == "custom":
        controller = {
            "stripe_dashboard": {"type": "none"},
            "requirement_collection": "application",
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
        }
    else:
        raise ValueError(f"Only Express and Custom accounts are created here, not {account_type}.")
    with _stripe_errors("create an account"):
        account = stripe_client().v1.accounts.create(
            {
                "controller": controller,
                "email": email,
                "capabilities": {
                    "card_payments": {"requested": True},
                    "transfers": {"requested": True},
                },
                "metadata": {"seller_id": str(seller_id)},
            },
            {"idempotency_key": idempotency_key},
        )
    return _connected_account(account, fallback_type=account_type)


def account_onboarding_link_create(
    *, stripe_account_id: str, return_url: str, refresh_url: str
) -> str:
    """A single-use, short-lived URL of Stripe's hosted onboarding for the account."""
    with _stripe_errors("create an onboarding link"):
        link = stripe_client().v1.account_links.create(
            {
                "account": stripe_account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            }
        )
    return link.url


def login_link_create(*, stripe_account_id: str) -> str:
    """A single-use URL into the Express dashboard of the account."""
    with _stripe_errors("open the Express dashboard"):
        link = stripe_client().v1.accounts.login_links.create(stripe_account_id)
    return link.url


def _connected_account(stripe_account: Any, *, fallback_type: str = "standard") -> ConnectedAccount:
    account = stripe_account.to_dict()
    requirements = account.get("requirements") or {}
    due: list[str] = []
    for field in [
        *(requirements.get("past_due") or []),
        *(requirements.get("currently_due") or []),
    ]:
        if field not in due:
            due.append(field)
    return ConnectedAccount(
        id=account["id"],
        account_type=_account_type(account, fallback=fallback_type),
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        requirements_due=tuple(due),
    )


def _account_type(account: dict, *, fallback: str) -> str:
    """Stripe reports `type` "none" for accounts described only by controller properties."""
    if account.get("type") in ACCOUNT_TYPES:
        return account["type"]
    controller = account.get("controller") or {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    return {"full": "standard", "express": "express", "none": "custom"}.get(dashboard, fallback)
