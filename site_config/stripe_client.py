"""What both Stripe gateways share: the one `StripeClient`, the one error type they raise, and the
one mapping from the SDK's exceptions to it, with the codes callers may branch on.

Only the gateway modules (accounts/stripe_connect.py, checkout/stripe_payments.py,
checkout/stripe_webhooks.py) call Stripe; they build on this module. Everyone else catches
`StripeGatewayError` and compares `error.code` with the constants below, never with Stripe's
strings.
"""

import contextlib
import functools
import logging
from collections.abc import Iterator

import stripe
import stripe.oauth_error
from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

# Stripe answers in well under a second; a hung connection should fail while the person still
# waits, not after the SDK's default of 80 seconds (times its retries).
STRIPE_TIMEOUT_SECONDS = 20


class StripeErrorCode:
    """The codes a `StripeGatewayError` carries, the same whichever gateway raised it."""

    UNREACHABLE = "unreachable"  # no answer: nothing happened on Stripe's side
    RATE_LIMIT = "rate_limit"
    AUTHENTICATION = "authentication"  # the platform's key was refused
    PERMISSION_DENIED = "permission_denied"  # e.g. an account no longer connected to us
    ACCOUNT_INVALID = "account_invalid"  # the connected account is gone or not ours
    RESOURCE_MISSING = "resource_missing"  # the object (customer, account...) does not exist
    IDEMPOTENCY = "idempotency_error"  # a conflicting repeat of a request in flight
    CARD_DECLINED = "card_declined"
    INVALID_GRANT = "invalid_grant"  # an OAuth code expired or already used
    INVALID_CLIENT = "invalid_client"  # OAuth: the account is not connected to the platform
    OAUTH_ERROR = "oauth_error"  # any other OAuth refusal
    INVALID_REQUEST = "invalid_request"  # any other request Stripe refused
    API_ERROR = "api_error"  # Stripe failed to answer properly


class StripeGatewayError(Exception):
    """A Stripe call failed. `user_message` is safe to show; `code` is a `StripeErrorCode`; the
    raw error is logged."""

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
            # make serve runs the sandbox's API in processes of its own (see scripts/serve).
            "api": settings.STRIPE_SANDBOX_API_URL or settings.STRIPE_API_BASE,
            "connect": settings.STRIPE_API_BASE,
        }
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def _forget_client_when_settings_change(*, setting: str, **kwargs) -> None:
    if setting.startswith("STRIPE_") or setting == "SITE_URL":
        stripe_client.cache_clear()


setting_changed.connect(_forget_client_when_settings_change)


TRY_AGAIN = "Please try again in a moment."
# Stripe's codes kept as they are, because callers act on them; any other becomes the fallback.
_KEPT_CODES = {StripeErrorCode.ACCOUNT_INVALID, StripeErrorCode.RESOURCE_MISSING}


def _translate(error: stripe.StripeError) -> tuple[int, str, str]:
    """The log level, our code and the message to show for one SDK exception."""
    code = getattr(error, "code", None)
    if isinstance(error, stripe.oauth_error.InvalidGrantError):
        return (
            logging.WARNING,
            StripeErrorCode.INVALID_GRANT,
            "That Stripe authorisation has expired or was already used. Please connect again.",
        )
    if isinstance(error, stripe.oauth_error.OAuthError):
        ours = (
            StripeErrorCode.INVALID_CLIENT
            if code == StripeErrorCode.INVALID_CLIENT
            else StripeErrorCode.OAUTH_ERROR
        )
        return (logging.ERROR, ours, "Stripe did not accept the connection request. " + TRY_AGAIN)
    if isinstance(error, stripe.CardError):
        return (
            logging.WARNING,
            StripeErrorCode.CARD_DECLINED,
            error.user_message or "The card was declined.",
        )
    if isinstance(error, stripe.RateLimitError):
        return (
            logging.WARNING,
            StripeErrorCode.RATE_LIMIT,
            "Stripe is busy right now. Please try again in a minute.",
        )
    if isinstance(error, stripe.APIConnectionError):
        return (
            logging.ERROR,
            StripeErrorCode.UNREACHABLE,
            "Stripe could not be reached. Nothing was charged or changed; " + TRY_AGAIN.lower(),
        )
    if isinstance(error, stripe.AuthenticationError):
        return (
            logging.CRITICAL,
            StripeErrorCode.AUTHENTICATION,
            "Payments are not configured correctly on this site. The team has been alerted.",
        )
    if isinstance(error, stripe.PermissionError):
        return (
            logging.WARNING,
            code if code in _KEPT_CODES else StripeErrorCode.PERMISSION_DENIED,
            "This Stripe account is no longer connected to the marketplace.",
        )
    if isinstance(error, stripe.IdempotencyError):
        return (
            logging.WARNING,
            StripeErrorCode.IDEMPOTENCY,
            "This request is already being processed. Reload the page in a moment.",
        )
    if isinstance(error, stripe.InvalidRequestError):
        return (
            logging.ERROR,
            code if code in _KEPT_CODES else StripeErrorCode.INVALID_REQUEST,
            "Stripe could not complete that request. " + TRY_AGAIN,
        )
    return (
        logging.ERROR,
        StripeErrorCode.API_ERROR,
        "Stripe had a problem answering. " + TRY_AGAIN,
    )


@contextlib.contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    """Turn any Stripe failure inside the block into a `StripeGatewayError`; log the raw error
    with what we were trying to do and Stripe's request id."""
    try:
        yield
    except stripe.StripeError as error:
        level, code, message = _translate(error)
        logger.log(
            level,
            "Stripe failed to %s: %r (request %s)",
            action,
            error,
            getattr(error, "request_id", None),
        )
        raise StripeGatewayError(message, code=code) from error


class StripeFieldRejected(StripeGatewayError):
    """Stripe refused one parameter; `param` names it (`individual[dob][day]`), so a form can show
    the message next to the field it concerns."""

    def __init__(self, user_message: str, *, param: str, code: str | None = None):
        super().__init__(user_message, code=code)
        self.param = param


@contextlib.contextmanager
def stripe_field_errors() -> Iterator[None]:
    """Turn Stripe's refusal of one named parameter into `StripeFieldRejected`; anything else
    passes on to `stripe_errors`."""
    try:
        yield
    except stripe.InvalidRequestError as error:
        if not error.param:
            raise
        # Stripe's messages name the problem, never the value that was sent.
        logger.info("Stripe refused %s (%s).", error.param, error.code)
        raise StripeFieldRejected(
            error.user_message or "Stripe did not accept this value.",
            param=error.param,
            code=error.code or StripeErrorCode.INVALID_REQUEST,
        ) from error
