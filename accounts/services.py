import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts import requirements
from accounts.models import StripeAccount, User
from accounts.stripe_connect import (
    BankAccount,
    ConnectedAccount,
    CustomAccountDetails,
    account_bank_account_create,
    account_bank_account_delete,
    account_create,
    account_custom_retrieve,
    account_custom_update,
    account_onboarding_link_create,
    account_retrieve,
    login_link_create,
    oauth_authorize_url,
    oauth_deauthorize,
    oauth_token_exchange,
)
from accounts.tasks import stripe_account_requirements_email_send
from site_config.stripe_client import StripeErrorCode, StripeGatewayError

logger = logging.getLogger(__name__)


def user_update_profile(*, user: User, full_name: str, time_zone: str | None = None) -> User:
    user.full_name = full_name.strip()
    if time_zone is not None:
        user.time_zone = time_zone
    user.save(update_fields=["full_name", "time_zone"])
    return user


def users_set_seller(*, users: QuerySet[User], is_seller: bool) -> int:
    """Grant or withdraw selling rights.

    Withdrawing only stops new selling: courses and past sales stay, because buyers paid for them.
    """
    return users.update(is_seller=is_seller)


# --- Stripe Connect -------------------------------------------------------------------------------

OAUTH_STATE_SESSION_KEY = "stripe_connect_oauth_states"
OAUTH_STATE_LIFETIME = timedelta(minutes=10)
# A seller may start from two tabs; older pending states beyond this are dropped.
OAUTH_STATES_KEPT = 5
# Errors after which re-reading the account cannot succeed until something changes on Stripe.
ACCOUNT_GONE_CODES = {
    StripeErrorCode.ACCOUNT_INVALID,
    StripeErrorCode.RESOURCE_MISSING,
    StripeErrorCode.PERMISSION_DENIED,
}


class StripeConnectRefused(Exception):
    """A connection request that the marketplace refuses; `user_message` says why."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


def connect_oauth_state_issue(*, session: SessionBase, user: User) -> str:
    """A random `state` for one OAuth round trip, bound to this session and user."""
    now = time.time()
    states = {
        value: entry
        for value, entry in session.get(OAUTH_STATE_SESSION_KEY, {}).items()
        if entry["expires"] > now
    }
    state = secrets.token_urlsafe(32)
    states[state] = {"user": user.pk, "expires": now + OAUTH_STATE_LIFETIME.total_seconds()}
    newest = sorted(states.items(), key=lambda item: item[1]["expires"])[-OAUTH_STATES_KEPT:]
    session[OAUTH_STATE_SESSION_KEY] = dict(newest)
    return state


def connect_oauth_state_consume(*, session: SessionBase, user: User, state: str) -> bool:
    """True once for a state this session issued to this user less than its lifetime ago."""
    states = dict(session.get(OAUTH_STATE_SESSION_KEY, {}))
    offered = state.encode()
    match = next(
        (value for value in states if secrets.compare_digest(value.encode(), offered)), None
    )
    if match is None:
        return False
    entry = states.pop(match)
    session[OAUTH_STATE_SESSION_KEY] = states
    return entry["user"] == user.pk and entry["expires"] > time.time()


def connect_redirect_uri() -> str:
    """The OAuth redirect URI, which must match one registered with Stripe exactly."""
    return settings.SITE_URL + reverse("accounts:connect-oauth-callback")


def stripe_account_oauth_url(*, seller: User, session: SessionBase) -> str:
    """Where to send a seller to connect a Standard account through Connect OAuth."""
    _ensure_can_connect(seller=seller)
    state = connect_oauth_state_issue(session=session, user=seller)
    return oauth_authorize_url(state=state, redirect_uri=connect_redirect_uri(), email=seller.email)


def stripe_account_connect_standard(*, seller: User, code: str) -> StripeAccount:
    """Finish Connect OAuth: exchange the code and link the Standard account to the seller.

    The state must have been checked before this is called.
    """
    _ensure_can_connect(seller=seller)
    stripe_account_id = oauth_token_exchange(code=code)
    _ensure_not_linked_elsewhere(seller=seller, stripe_account_id=stripe_account_id)
    try:
        account = account_retrieve(stripe_account_id=stripe_account_id)
    except StripeGatewayError:
        # The link itself succeeded; the status is filled in by `account.updated` or the card.
        logger.warning("Connected %s but could not read it yet.", stripe_account_id)
        account = ConnectedAccount(
            id=stripe_account_id,
            account_type=StripeAccount.AccountType.STANDARD,
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            requirements_due=(),
        )
    return _stripe_account_store(seller=seller, account=account)


def stripe_account_start_onboarding(*, seller: User, account_type: str) -> str:
    """Create an Express or Custom account for the seller (once) and return where onboarding
    continues: Stripe's hosted onboarding for Express, the marketplace's own form for Custom.

    A second click, or two requests racing, reuse the same account: the database is checked
    first, and Stripe replays the create for the same idempotency key.
    """
    if account_type not in (StripeAccount.AccountType.EXPRESS, StripeAccount.AccountType.CUSTOM):
        raise StripeConnectRefused("Choose an Express or a Custom account.")
    stripe_account = _connected_account_of(seller=seller)
    if stripe_account is None or not stripe_account.uses_account_links:
        stripe_account = _stripe_account_create(seller=seller, account_type=account_type)
    if stripe_account.onboards_in_app:
        return reverse("accounts:custom-onboarding")
    return stripe_account_onboarding_link(seller=seller)


def _stripe_account_create(*, seller: User, account_type: str) -> StripeAccount:
    _ensure_can_connect(seller=seller)
    account = account_create(
        account_type=account_type,
        email=seller.email,
        business_name=seller.display_name,
        seller_id=seller.pk,
        idempotency_key=_account_create_key(seller=seller),
    )
    return _stripe_account_store(seller=seller, account=account)


def stripe_account_onboarding_link(*, seller: User) -> str:
    """A fresh Account Link into Stripe's hosted onboarding (links are single use)."""
    stripe_account = _connected_account_of(seller=seller)
    if stripe_account is None or not stripe_account.uses_account_links:
        raise StripeConnectRefused("There is no Express or Custom account to onboard.")
    return account_onboarding_link_create(
        stripe_account_id=stripe_account.stripe_account_id,
        return_url=settings.SITE_URL + reverse("accounts:connect-return"),
        refresh_url=settings.SITE_URL + reverse("accounts:connect-refresh"),
    )


def stripe_account_dashboard_link(*, seller: User) -> str:
    stripe_account = _connected_account_of(seller=seller)
    if stripe_account is None or not stripe_account.has_express_dashboard:
        raise StripeConnectRefused("Only Express accounts have a Stripe dashboard link here.")
    return login_link_create(stripe_account_id=stripe_account.stripe_account_id)


def stripe_account_refresh(*, stripe_account_id: str) -> StripeAccount | None:
    """Re-read the account from Stripe and mirror it (called for `account.updated`, too).

    An account that is not ours is ignored. When Stripe says the account is gone or no longer
    accessible, the row is left as it is; a transient failure raises StripeGatewayError so a
    webhook delivery is retried.
    """
    stripe_account = StripeAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if stripe_account is None:
        return None
    try:
        account = account_retrieve(stripe_account_id=stripe_account_id)
    except StripeGatewayError as error:
        if error.code not in ACCOUNT_GONE_CODES:
            raise
        logger.warning("Cannot read %s any more (%s).", stripe_account_id, error.code)
        return stripe_account
    return _stripe_account_mirror(account=account)


def _stripe_account_mirror(*, account: ConnectedAccount) -> StripeAccount:
    """Mirror what Stripe says about the account.

    When Stripe asks a Custom seller who had already submitted their details for something new
    (a verification that failed later, more information), the seller is emailed once: the row is
    locked while the old and new requirements are compared, so a repeated or concurrent
    `account.updated` finds nothing new.
    """
    with transaction.atomic():
        stripe_account = StripeAccount.objects.select_for_update().get(stripe_account_id=account.id)
        before = set(stripe_account.requirements_due)
        had_submitted = stripe_account.details_submitted
        stripe_account.sync(
            account_type=account.account_type,
            charges_enabled=account.charges_enabled,
            payouts_enabled=account.payouts_enabled,
            details_submitted=account.details_submitted,
            requirements_due=list(account.requirements_due),
        )
        newly_due = [field for field in account.requirements_due if field not in before]
        if (
            newly_due
            and had_submitted
            and stripe_account.is_connected
            and stripe_account.account_type == StripeAccount.AccountType.CUSTOM
        ):
            row_id = stripe_account.pk
            transaction.on_commit(
                lambda: stripe_account_requirements_email_send.enqueue(
                    stripe_account_pk=row_id, requirements=newly_due
                )
            )
    return stripe_account


def stripe_account_refresh_if_stale(
    *, stripe_account: StripeAccount, max_age: timedelta
) -> StripeAccount:
    """Keep a pending card moving even when webhooks are slow, at most once per `max_age`."""
    if not stripe_account.is_onboarding_pending:
        return stripe_account
    if timezone.now() - stripe_account.updated_at < max_age:
        return stripe_account
    try:
        refreshed = stripe_account_refresh(stripe_account_id=stripe_account.stripe_account_id)
    except StripeGatewayError:
        return stripe_account
    return refreshed or stripe_account


def stripe_account_disconnect(*, stripe_account_id: str) -> StripeAccount | None:
    """Mark the account disconnected (on `account.application.deauthorized`, or by the seller).

    Courses and past sales are untouched; new sales stop because charges need a connection.
    """
    stripe_account = StripeAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if stripe_account is None:
        return None
    stripe_account.mark_disconnected()
    return stripe_account


def stripe_account_disconnect_for_seller(*, seller: User) -> StripeAccount:
    """The seller's Disconnect button.

    A Standard account belongs to the seller, so the platform's access is revoked at Stripe
    first. Express and Custom accounts are owned by the platform; they are only unlinked here.
    """
    stripe_account = _connected_account_of(seller=seller)
    if stripe_account is None:
        raise StripeConnectRefused("There is no connected Stripe account to disconnect.")
    if stripe_account.account_type == StripeAccount.AccountType.STANDARD:
        oauth_deauthorize(stripe_account_id=stripe_account.stripe_account_id)
    stripe_account_disconnect(stripe_account_id=stripe_account.stripe_account_id)
    stripe_account.refresh_from_db()
    return stripe_account


def _connected_account_of(*, seller: User) -> StripeAccount | None:
    return StripeAccount.objects.filter(seller=seller, disconnected_at__isnull=True).first()


def _ensure_can_connect(*, seller: User) -> None:
    if not seller.is_seller:
        raise StripeConnectRefused(
            "Only sellers can connect a Stripe account. Ask an administrator for selling rights."
        )
    existing = _connected_account_of(seller=seller)
    if existing is not None:
        raise StripeConnectRefused(
            f"Your Stripe account {existing.stripe_account_id} is already connected. "
            "Disconnect it first to connect another one."
        )


def _ensure_not_linked_elsewhere(*, seller: User, stripe_account_id: str) -> None:
    taken = StripeAccount.objects.filter(stripe_account_id=stripe_account_id).exclude(seller=seller)
    if taken.exists():
        raise StripeConnectRefused(
            "That Stripe account is already linked to another seller on this marketplace, "
            "so it was not connected. Use a different Stripe account."
        )


def _account_create_key(*, seller: User) -> str:
    """Same key for every attempt at the seller's next account; a new one after a disconnect."""
    previous = StripeAccount.objects.filter(seller=seller).first()
    if previous is None or previous.disconnected_at is None:
        return f"seller-{seller.pk}-connect-account-first"
    generation = int(previous.disconnected_at.timestamp())
    return f"seller-{seller.pk}-connect-account-{generation}"


def _stripe_account_store(*, seller: User, account: ConnectedAccount) -> StripeAccount:
    """Link `account` to the seller, reusing the seller's one row when they reconnect."""
    fields = {
        "stripe_account_id": account.id,
        "account_type": account.account_type,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "details_submitted": account.details_submitted,
        "requirements_due": list(account.requirements_due),
    }
    try:
        with transaction.atomic():
            # Serialises two requests for the same seller (a double submit) on databases with
            # row locks; SQLite takes its write lock when the transaction begins.
            User.objects.select_for_update().filter(pk=seller.pk).first()
            _ensure_not_linked_elsewhere(seller=seller, stripe_account_id=account.id)
            stripe_account = StripeAccount.objects.filter(seller=seller).first()
            if stripe_account is None:
                return StripeAccount.objects.create(seller=seller, **fields)
            if stripe_account.stripe_account_id != account.id or not stripe_account.is_connected:
                stripe_account.connected_at = timezone.now()
            stripe_account.disconnected_at = None
            for name, value in fields.items():
                setattr(stripe_account, name, value)
            stripe_account.save()
            return stripe_account
    except IntegrityError as error:
        # Another seller linked the same account id between the check and the write.
        raise StripeConnectRefused(
            "That Stripe account is already linked to another seller on this marketplace."
        ) from error


# --- Custom accounts onboarded in-app -----------------------------------------------------------
# The seller answers Stripe's requirements on the marketplace's own pages. What to ask comes
# from Stripe's requirements (see accounts/requirements.py); each step is one account update.
# ID numbers, dates of birth and bank account numbers pass from the form to Stripe only: they
# are not stored, logged, put in the session or shown again.


@dataclass(frozen=True)
class CustomOnboarding:
    stripe_account: StripeAccount
    details: CustomAccountDetails
    plan: requirements.OnboardingPlan

    @property
    def payout_bank_account(self) -> BankAccount | None:
        """The default bank account for the account's currency (what payouts go to)."""
        candidates = [
            bank
            for bank in self.details.bank_accounts
            if bank.currency == self.details.default_currency
        ]
        return next((bank for bank in candidates if bank.default_for_currency), None) or (
            candidates[0] if candidates else None
        )


def custom_onboarding_read(*, seller: User) -> CustomOnboarding:
    """Read the seller's Custom account from Stripe, mirror its status, and plan the form."""
    stripe_account = _custom_account_of(seller=seller)
    details = account_custom_retrieve(stripe_account_id=stripe_account.stripe_account_id)
    return _custom_onboarding(details=details)


def custom_onboarding_submit(
    *,
    seller: User,
    step: str,
    values: dict[str, Any],
    submission: str,
    client_ip: str,
    user_agent: str,
) -> CustomOnboarding:
    """Send one step's answers to Stripe (`POST /v1/accounts/{id}`) and plan what comes next.

    The idempotency key names the account, the step and the rendered form's `submission`
    token: a double submit of the same page is one update at Stripe, a corrected resubmit a new
    one. Raises StripeFieldRejected when Stripe refuses a value, naming its parameter.
    """
    stripe_account = _custom_account_of(seller=seller)
    current = account_custom_retrieve(stripe_account_id=stripe_account.stripe_account_id)
    details = account_custom_update(
        stripe_account_id=stripe_account.stripe_account_id,
        params=_custom_account_params(
            step=step,
            values=values,
            country=current.country,
            client_ip=client_ip,
            user_agent=user_agent,
        ),
        idempotency_key=(
            f"custom-onboarding-{stripe_account.stripe_account_id}-{step}-{submission}"
        ),
    )
    return _custom_onboarding(details=details)


def custom_bank_account_replace(
    *, seller: User, values: dict[str, Any], submission: str
) -> CustomOnboarding:
    """Add a new payout bank account as the default for its currency, then remove the old ones
    of that currency. Stripe answers a repeated submit with the same new bank account."""
    stripe_account = _custom_account_of(seller=seller)
    account_id = stripe_account.stripe_account_id
    current = account_custom_retrieve(stripe_account_id=account_id)
    new = account_bank_account_create(
        stripe_account_id=account_id,
        country=current.country,
        currency=current.default_currency,
        routing_number=values["routing_number"],
        account_number=values["account_number"],
        account_holder_name=values["account_holder_name"],
        idempotency_key=f"bank-account-{account_id}-{submission}",
    )
    for old in current.bank_accounts:
        if old.id == new.id or old.currency != new.currency:
            continue
        try:
            account_bank_account_delete(stripe_account_id=account_id, bank_account_id=old.id)
        except StripeGatewayError as error:
            # Already removed by an earlier submit of the same form.
            if error.code != StripeErrorCode.RESOURCE_MISSING:
                raise
    return custom_onboarding_read(seller=seller)


def _custom_account_of(*, seller: User) -> StripeAccount:
    stripe_account = _connected_account_of(seller=seller)
    if stripe_account is None or stripe_account.account_type != StripeAccount.AccountType.CUSTOM:
        raise StripeConnectRefused("There is no Custom account to set up. Create one first.")
    return stripe_account


def _custom_onboarding(*, details: CustomAccountDetails) -> CustomOnboarding:
    stripe_account = _stripe_account_mirror(account=details.account)
    plan = requirements.onboarding_plan(
        due=details.due,
        errors=[(error.requirement, error.code, error.reason) for error in details.errors],
        alternatives=details.alternatives,
    )
    return CustomOnboarding(stripe_account=stripe_account, details=details, plan=plan)


def _custom_account_params(
    *, step: str, values: dict[str, Any], country: str, client_ip: str, user_agent: str
) -> dict[str, Any]:
    """The `POST /v1/accounts/{id}` parameters for one step's cleaned form values."""
    if step == "business-type":
        return {"business_type": values["business_type"]}
    if step == "person":
        individual: dict[str, Any] = {
            key: values[key]
            for key in ("first_name", "last_name", "email", "phone", "id_number", "ssn_last_4")
            if values.get(key)
        }
        if values.get("dob"):
            dob = values["dob"]
            individual["dob"] = {"day": dob.day, "month": dob.month, "year": dob.year}
        address = {
            key.removeprefix("address_"): values[key]
            for key in (
                "address_line1",
                "address_line2",
                "address_city",
                "address_state",
                "address_postal_code",
            )
            if values.get(key)
        }
        if address:
            individual["address"] = {**address, "country": country}
        return {"individual": individual}
    if step == "business":
        return {
            "business_profile": {
                key: values[key] for key in ("mcc", "url", "product_description") if values.get(key)
            }
        }
    if step == "bank":
        return {
            "external_account": {
                "object": "bank_account",
                "country": country,
                "account_holder_name": values["account_holder_name"],
                "account_holder_type": "individual",
                "routing_number": values["routing_number"],
                "account_number": values["account_number"],
            }
        }
    if step == "terms":
        return {
            "tos_acceptance": {
                "date": int(time.time()),
                "ip": client_ip,
                "user_agent": user_agent[:500],
            }
        }
    raise ValueError(f"Unknown onboarding step {step!r}")
