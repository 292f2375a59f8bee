import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import StripeAccount, User
from accounts.stripe_connect import (
    ConnectedAccount,
    account_create,
    account_onboarding_link_create,
    account_retrieve,
    login_link_create,
    oauth_authorize_url,
    oauth_deauthorize,
    oauth_token_exchange,
)
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
    """Create an Express or Custom account for the seller (once) and return its onboarding URL.

    A second click, or two requests racing, reuse the same account: the database is checked
    first, and Stripe replays the create for the same idempotency key.
    """
    if account_type not in (StripeAccount.AccountType.EXPRESS, StripeAccount.AccountType.CUSTOM):
        raise StripeConnectRefused("Choose an Express or a Custom account.")
    existing = _connected_account_of(seller=seller)
    if existing is not None and existing.uses_account_links:
        return stripe_account_onboarding_link(seller=seller)
    _ensure_can_connect(seller=seller)
    account = account_create(
        account_type=account_type,
        email=seller.email,
        seller_id=seller.pk,
        idempotency_key=_account_create_key(seller=seller),
    )
    _stripe_account_store(seller=seller, account=account)
    return stripe_account_onboarding_link(seller=seller)


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
    stripe_account.sync(
        account_type=account.account_type,
        charges_enabled=account.charges_enabled,
        payouts_enabled=account.payouts_enabled,
        details_submitted=account.details_submitted,
        requirements_due=list(account.requirements_due),
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
