"""Errors in Stripe's shape: `{"error": {"type", "code", "message", "param"}}` with Stripe's status.

Raise one of these anywhere inside a handler; the dispatcher turns it into the response.
See https://docs.stripe.com/api/errors for the types and codes.
"""

from __future__ import annotations


class StripeError(Exception):
    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
        type: str | None = None,
        **extra,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        # Extra fields Stripe adds for some errors: decline_code, charge, payment_intent, ...
        self.extra = extra

    def to_dict(self) -> dict:
        error: dict = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://docs.stripe.com/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class InvalidRequestError(StripeError):
    """400 `invalid_request_error` (wrong or missing parameters, bad state)."""


class AuthenticationError(StripeError):
    status = 401


class PermissionError_(StripeError):
    status = 403


class CardError(StripeError):
    """402 `card_error`: e.g. `code="card_declined"`, `decline_code="insufficient_funds"`."""

    status = 402
    type = "card_error"


class IdempotencyError(StripeError):
    type = "idempotency_error"


def resource_missing(label: str, object_id: str, *, param: str = "id") -> StripeError:
    """404 like Stripe's `No such customer: 'cus_123'`; `label` is e.g. "customer"."""
    return StripeError(
        f"No such {label}: '{object_id}'", code="resource_missing", param=param, status=404
    )


def parameter_missing(param: str) -> StripeError:
    return InvalidRequestError(
        f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def parameter_invalid(param: str, message: str, *, code: str | None = None) -> StripeError:
    """400 for a value Stripe refuses, e.g. `Invalid integer: abc` (`parameter_invalid_integer`)."""
    return InvalidRequestError(message, code=code, param=param)


def parameter_unknown(param: str) -> StripeError:
    return InvalidRequestError(
        f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )
