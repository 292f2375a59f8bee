"""A seller's balances and payouts as Stripe has them, cached per seller.

The Payouts page reads `PayoutSnapshot`; Stripe is asked only when there is no snapshot, when
an event (`payout.*`, `balance.available`) has marked it stale, when it is older than
`PAYOUT_SNAPSHOT_MAX_AGE`, or when the seller asks and the last read is older than
`PAYOUT_REFRESH_MIN_INTERVAL`. A failed read keeps the old snapshot and says so.
"""

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from checkout import stripe_payments
from checkout.models import Order, PayoutSnapshot
from site_config.stripe_client import StripeGatewayError

logger = logging.getLogger(__name__)

# The seller's "Refresh" asks Stripe at most this often.
PAYOUT_REFRESH_MIN_INTERVAL = dt.timedelta(minutes=3)
# Without any event, a snapshot is re-read on view after this long (a missed webhook heals).
PAYOUT_SNAPSHOT_MAX_AGE = dt.timedelta(hours=1)
# The events that change what the Payouts page shows.
PAYOUT_EVENT_TYPES = frozenset(
    {
        "balance.available",
        "payout.created",
        "payout.updated",
        "payout.paid",
        "payout.failed",
        "payout.canceled",
        "payout.reconciliation_completed",
    }
)


@dataclass(frozen=True)
class PayoutsView:
    overview: stripe_payments.PayoutOverview | None
    fetched_at: dt.datetime | None
    # A message when the last attempt to read Stripe failed (the figures shown are older).
    error: str = ""


def _overview_to_json(overview: stripe_payments.PayoutOverview) -> dict:
    return asdict(overview, dict_factory=lambda items: {k: _plain(v) for k, v in items})


def _plain(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _overview_from_json(data: dict) -> stripe_payments.PayoutOverview | None:
    if not data:
        return None

    def moment(value):
        return dt.datetime.fromisoformat(value) if value else None

    return stripe_payments.PayoutOverview(
        balances=tuple(stripe_payments.BalanceAmount(**row) for row in data["balances"]),
        schedule_interval=data["schedule_interval"],
        schedule_delay_days=data["schedule_delay_days"],
        schedule_anchor=data["schedule_anchor"],
        payouts=tuple(
            stripe_payments.PayoutSummary(
                **{
                    **row,
                    "arrival_date": moment(row["arrival_date"]),
                    "created": moment(row["created"]),
                }
            )
            for row in data["payouts"]
        ),
    )


def _needs_read(snapshot: PayoutSnapshot | None, stripe_account_id: str, now) -> bool:
    return (
        snapshot is None
        or snapshot.stale
        or snapshot.stripe_account_id != stripe_account_id
        or now - snapshot.fetched_at > PAYOUT_SNAPSHOT_MAX_AGE
    )


def payouts_for_seller(*, seller: User, refresh: bool = False) -> PayoutsView:
    """What the Payouts page shows, read from Stripe only when the cache needs it."""
    account = getattr(seller, "stripe_account", None)
    if account is None or not account.stripe_account_id:
        return PayoutsView(overview=None, fetched_at=None)
    now = timezone.now()
    snapshot = PayoutSnapshot.objects.filter(seller=seller).first()
    wanted = refresh and (
        snapshot is None or now - snapshot.fetched_at >= PAYOUT_REFRESH_MIN_INTERVAL
    )
    if not (wanted or _needs_read(snapshot, account.stripe_account_id, now)):
        return PayoutsView(
            overview=_overview_from_json(snapshot.overview), fetched_at=snapshot.fetched_at
        )
    try:
        overview = stripe_payments.payout_overview_retrieve(
            stripe_account_id=account.stripe_account_id
        )
    except StripeGatewayError as error:
        logger.warning("Reading payouts of %s failed", account.stripe_account_id, exc_info=True)
        return PayoutsView(
            overview=_overview_from_json(snapshot.overview) if snapshot else None,
            fetched_at=snapshot.fetched_at if snapshot else None,
            error=error.user_message,
        )
    snapshot, _ = PayoutSnapshot.objects.update_or_create(
        seller=seller,
        defaults={
            "stripe_account_id": account.stripe_account_id,
            "overview": _overview_to_json(overview),
            "fetched_at": now,
            "stale": False,
        },
    )
    return PayoutsView(overview=overview, fetched_at=now)


def payout_snapshot_mark_stale(*, stripe_account_id: str) -> int:
    """An event said the account's balance or payouts changed: read Stripe on the next view."""
    return PayoutSnapshot.objects.filter(stripe_account_id=stripe_account_id).update(stale=True)


@dataclass(frozen=True)
class PayoutDetail:
    payout: stripe_payments.PayoutSummary
    sales: list[Order]
    # Money in the payout that is not one of this seller's marketplace sales (other sales of a
    # Standard account, refunds, fees), so the sales and this add up to the payout.
    other_amount: int


def payout_detail_for_seller(*, seller: User, payout_id: str) -> PayoutDetail | None:
    """One of the seller's recent payouts with the sales it paid out; None if not theirs.

    The payout's transactions are read once per payout id and kept: a payout that has been
    made pays out the same transactions for ever.
    """
    view = payouts_for_seller(seller=seller)
    payout = next(
        (p for p in (view.overview.payouts if view.overview else ()) if p.id == payout_id), None
    )
    if payout is None:
        return None
    snapshot = PayoutSnapshot.objects.get(seller=seller)
    lines = snapshot.lines.get(payout_id)
    if lines is None:
        found = stripe_payments.payout_lines_list(
            stripe_account_id=snapshot.stripe_account_id, payout_id=payout_id
        )
        lines = [asdict(line) for line in found]
        if payout.status in ("paid", "failed", "canceled"):
            snapshot.lines = {**snapshot.lines, payout_id: lines}
            snapshot.save(update_fields=["lines"])
    takings = [line for line in lines if line["type"] not in ("payout", "payout_failure")]
    charge_ids = {line["charge_id"] for line in takings if line["charge_id"]}
    transfer_ids = {line["transfer_id"] for line in takings if line["transfer_id"]}
    sales = list(
        Order.objects.filter(seller=seller)
        .filter(Q(charge_id__in=charge_ids) | Q(transfer_id__in=transfer_ids))
        .exclude(charge_id="", transfer_id="")
        .select_related("course", "buyer")
        .order_by("paid_at", "id")
    )
    matched = {sale.charge_id for sale in sales} | {sale.transfer_id for sale in sales}
    other = sum(
        line["net"]
        for line in takings
        if not ({line["charge_id"], line["transfer_id"]} & (matched - {""}))
    )
    return PayoutDetail(payout=payout, sales=sales, other_amount=other)
