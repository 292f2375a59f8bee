"""The door to Stripe for connected accounts: OAuth, accounts, account links, login links.

Functions here take our types and return small frozen dataclasses; every Stripe failure leaves as
one `StripeGatewayError` (from `site_config.stripe_client`, shared with the payments gateway)
whose message is safe to show, with the raw error logged.
"""

import logging
from dataclasses import dataclass
from typing import Any

from site_config.stripe_client import (
    StripeErrorCode,
    StripeGatewayError,
    stripe_client,
    stripe_errors,
    stripe_field_errors,
)

logger = logging.getLogger(__name__)

ACCOUNT_TYPES = ("standard", "express", "custom")


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
    with stripe_errors("exchange an OAuth code"):
        token = stripe_client().oauth.token({"grant_type": "authorization_code", "code": code})
    return token["stripe_user_id"]


def oauth_deauthorize(*, stripe_account_id: str) -> None:
    """Revoke the platform's access to a Standard account.

    An account that is already disconnected on Stripe's side counts as done.
    """
    try:
        with stripe_errors("deauthorize an account"):
            stripe_client().oauth.deauthorize({"stripe_user_id": stripe_account_id})
    except StripeGatewayError as error:
        # Stripe answers invalid_client when the account is no longer connected to the platform.
        if error.code != StripeErrorCode.INVALID_CLIENT:
            raise
        logger.info("%s was already disconnected on Stripe's side.", stripe_account_id)


# --- Accounts, account links and login links ---------------------------------------------------


def account_retrieve(*, stripe_account_id: str) -> ConnectedAccount:
    with stripe_errors("retrieve an account"):
        account = stripe_client().v1.accounts.retrieve(stripe_account_id)
    return _connected_account(account)


def account_create(
    *, account_type: str, email: str, business_name: str, seller_id: int, idempotency_key: str
) -> ConnectedAccount:
    """Create an Express or Custom account for a seller, described by controller properties.

    https://docs.stripe.com/connect/migrate-to-controller-properties maps the old account types:
    Express is an Express dashboard with the platform paying fees and owning losses; Custom has
    no Stripe dashboard and the platform collects requirements (on its own form, see below).
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
    with stripe_errors("create an account"):
        account = stripe_client().v1.accounts.create(
            {
                "controller": controller,
                "email": email,
                # The name buyers see on Stripe's payment page and statements: the seller's name
                # as the catalog shows it ("by Grace Hopper" → "Pay Grace Hopper").
                "business_profile": {"name": business_name},
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
    with stripe_errors("create an onboarding link"):
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
    with stripe_errors("open the Express dashboard"):
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


# --- Custom accounts onboarded in-app ---------------------------------------------------------
# The marketplace collects a Custom account's details on its own pages and passes them to Stripe
# here. ID numbers, dates of birth and bank account numbers go straight into the request: nothing
# in this block logs them, and the results below carry only what Stripe shows back (whether an
# ID number was provided, a bank account's last four digits).


@dataclass(frozen=True)
class RequirementError:
    requirement: str
    code: str
    reason: str


@dataclass(frozen=True)
class BankAccount:
    id: str
    bank_name: str
    last4: str
    country: str
    currency: str
    default_for_currency: bool
    errored: bool


@dataclass(frozen=True)
class CustomAccountDetails:
    """What the in-app onboarding form needs to know about a Custom account."""

    account: ConnectedAccount
    country: str
    default_currency: str
    business_type: str
    # Requirement paths Stripe wants now (past due first) and later, and the errors on them.
    currently_due: tuple[str, ...]
    eventually_due: tuple[str, ...]
    past_due: tuple[str, ...]
    future_due: tuple[str, ...]
    alternatives: dict[str, tuple[str, ...]]
    errors: tuple[RequirementError, ...]
    current_deadline: int | None
    # Non-sensitive values to prefill; sensitive ones only as "provided".
    first_name: str
    last_name: str
    email: str
    phone: str
    address: dict[str, str]
    dob_provided: bool
    id_number_provided: bool
    ssn_last_4_provided: bool
    mcc: str
    url: str
    product_description: str
    tos_accepted: bool
    bank_accounts: tuple[BankAccount, ...]

    @property
    def due(self) -> tuple[str, ...]:
        """Everything to collect now, in Stripe's order of urgency, each once."""
        ordered: list[str] = []
        for field in (
            *self.past_due,
            *self.currently_due,
            *(error.requirement for error in self.errors),
            *self.eventually_due,
            *self.future_due,
        ):
            if field not in ordered:
                ordered.append(field)
        return tuple(ordered)


def account_custom_retrieve(*, stripe_account_id: str) -> CustomAccountDetails:
    with stripe_errors("retrieve an account"):
        account = stripe_client().v1.accounts.retrieve(stripe_account_id)
    return _custom_account_details(account)


def account_custom_update(
    *, stripe_account_id: str, params: dict[str, Any], idempotency_key: str
) -> CustomAccountDetails:
    """`POST /v1/accounts/{id}` with what the seller entered; Stripe's answer drives the form.

    A parameter Stripe refuses becomes StripeFieldRejected naming it, so the form can show the
    reason next to that field.
    """
    with stripe_errors("update an account"), stripe_field_errors():
        account = stripe_client().v1.accounts.update(
            stripe_account_id, params, {"idempotency_key": idempotency_key}
        )
    return _custom_account_details(account)


def account_bank_account_create(
    *,
    stripe_account_id: str,
    country: str,
    currency: str,
    routing_number: str,
    account_number: str,
    account_holder_name: str,
    idempotency_key: str,
) -> BankAccount:
    """Add a bank account for payouts, made the default for its currency."""
    bank_account: dict[str, Any] = {
        "object": "bank_account",
        "country": country,
        "currency": currency,
        "account_number": account_number,
        "account_holder_name": account_holder_name,
        "account_holder_type": "individual",
    }
    if routing_number:
        bank_account["routing_number"] = routing_number
    with stripe_errors("add a bank account"), stripe_field_errors():
        created = stripe_client().v1.accounts.external_accounts.create(
            stripe_account_id,
            {"external_account": bank_account, "default_for_currency": True},
            {"idempotency_key": idempotency_key},
        )
    return _bank_account(created.to_dict())


def account_bank_account_delete(*, stripe_account_id: str, bank_account_id: str) -> None:
    with stripe_errors("remove a bank account"):
        stripe_client().v1.accounts.external_accounts.delete(stripe_account_id, bank_account_id)


def _custom_account_details(stripe_account: Any) -> CustomAccountDetails:
    account = stripe_account.to_dict()
    requirements = account.get("requirements") or {}
    future = account.get("future_requirements") or {}
    person = account.get("individual") or {}
    address = person.get("address") or {}
    dob = person.get("dob") or {}
    profile = account.get("business_profile") or {}
    tos = account.get("tos_acceptance") or {}
    bank_accounts = ((account.get("external_accounts") or {}).get("data")) or []
    return CustomAccountDetails(
        account=_connected_account(stripe_account, fallback_type="custom"),
        country=account.get("country") or "US",
        default_currency=account.get("default_currency") or "usd",
        business_type=account.get("business_type") or "",
        currently_due=tuple(requirements.get("currently_due") or ()),
        eventually_due=tuple(requirements.get("eventually_due") or ()),
        past_due=tuple(requirements.get("past_due") or ()),
        future_due=tuple(
            [*(future.get("currently_due") or ()), *(future.get("eventually_due") or ())]
        ),
        alternatives={
            original: tuple(item.get("alternative_fields_due") or ())
            for item in requirements.get("alternatives") or ()
            for original in item.get("original_fields_due") or ()
        },
        errors=tuple(
            RequirementError(
                requirement=error.get("requirement") or "",
                code=error.get("code") or "",
                reason=error.get("reason") or "",
            )
            for error in [*(requirements.get("errors") or ()), *(future.get("errors") or ())]
        ),
        current_deadline=requirements.get("current_deadline"),
        first_name=person.get("first_name") or "",
        last_name=person.get("last_name") or "",
        email=person.get("email") or "",
        phone=person.get("phone") or "",
        address={
            key: address.get(key) or ""
            for key in ("line1", "line2", "city", "state", "postal_code")
        },
        dob_provided=bool(dob.get("year")),
        id_number_provided=bool(person.get("id_number_provided")),
        ssn_last_4_provided=bool(person.get("ssn_last_4_provided")),
        mcc=profile.get("mcc") or "",
        url=profile.get("url") or "",
        product_description=profile.get("product_description") or "",
        tos_accepted=bool(tos.get("date")),
        bank_accounts=tuple(
            _bank_account(item) for item in bank_accounts if item.get("object") == "bank_account"
        ),
    )


def _bank_account(data: dict[str, Any]) -> BankAccount:
    return BankAccount(
        id=data["id"],
        bank_name=data.get("bank_name") or "",
        last4=data.get("last4") or "",
        country=data.get("country") or "",
        currency=data.get("currency") or "",
        default_for_currency=bool(data.get("default_for_currency")),
        errored=data.get("status") == "errored",
    )
