"""Stripe's webhook events: stored once, then handed to the service each type needs."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import services as account_services
from checkout import membership_services
from checkout.models import WebhookEvent
from checkout.selectors import webhook_event_processed
from checkout.services.orders import (
    order_attach_session,
    order_cancel_expired,
    order_fulfil,
    order_mark_payment_failed,
)
from checkout.services.payouts import PAYOUT_EVENT_TYPES, payout_snapshot_mark_stale
from checkout.services.refunds import order_apply_dispute, order_apply_refunds
from checkout.stripe_webhooks import ParsedEvent


def webhook_event_receive(*, event: ParsedEvent, endpoint: str) -> WebhookEvent | None:
    """Store a verified event once and process it; None for a duplicate already processed.

    A duplicate costs one indexed read. A new event costs that read and one insert, with its
    first attempt counted; one with nothing to do is stored as processed in that same insert.
    A handler's exception propagates (the view answers 500, Stripe retries); the stored event
    keeps the error and is processed again on the retry.
    """
    if webhook_event_processed(event_id=event.id):
        return None
    handler = _handler_for(event_type=event.type, account=event.account)
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                event_id=event.id,
                type=event.type,
                account=event.account,
                endpoint=endpoint,
                payload=event.payload,
                attempts=1,
                processed_at=timezone.now() if handler is None else None,
            )
    except IntegrityError:
        # Stored already: Stripe's retry of an event whose handler failed, or the same event
        # delivered twice at once. Count this attempt too.
        record = WebhookEvent.objects.defer("payload").get(event_id=event.id)
        if record.processed_at is not None:
            return None
        WebhookEvent.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
    else:
        if record.processed_at is not None:
            return record
    _handle(record=record, handler=handler)
    return record


def webhook_event_process(*, record: WebhookEvent) -> None:
    """Process a stored event again (the admin's action), counting the attempt."""
    WebhookEvent.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
    _handle(record=record, handler=_handler_for(event_type=record.type, account=record.account))


def _handle(*, record: WebhookEvent, handler) -> None:
    try:
        if handler is not None:
            handler(record)
    except Exception as error:
        WebhookEvent.objects.filter(pk=record.pk).update(last_error=repr(error)[:2000])
        raise
    WebhookEvent.objects.filter(pk=record.pk).update(processed_at=timezone.now(), last_error="")


def _handler_for(*, event_type: str, account: str):
    """The service an event needs; None when it needs nothing."""
    if event_type in PAYOUT_EVENT_TYPES and not account:
        # The platform's own balance and payouts: no seller's payout figures to refresh.
        return None
    return WEBHOOK_HANDLERS.get(event_type)


def _event_object(record: WebhookEvent) -> dict:
    return (record.payload.get("data") or {}).get("object") or {}


def _on_session_completed(record: WebhookEvent) -> None:
    session = _event_object(record)
    if session.get("mode") in MEMBERSHIP_SESSION_MODES:
        membership_services.membership_session_event(record=record)
        return
    reference = (session.get("metadata") or {}).get("order_id") or session.get(
        "client_reference_id"
    )
    if reference and str(reference).isdigit():
        order_attach_session(
            order_id=int(reference),
            session_id=session["id"],
            amount=session.get("amount_total") or 0,
            currency=session.get("currency") or "",
            stripe_account_id=record.account,
        )
    order_fulfil(session_id=session["id"])


def _on_session_async_failed(record: WebhookEvent) -> None:
    order_mark_payment_failed(session_id=_event_object(record)["id"])


def _on_session_expired(record: WebhookEvent) -> None:
    if _event_object(record).get("mode") in MEMBERSHIP_SESSION_MODES:
        membership_services.membership_session_event(record=record)
        return
    order_cancel_expired(session_id=_event_object(record)["id"])


def _on_charge_refunded(record: WebhookEvent) -> None:
    order_apply_refunds(charge_id=_event_object(record)["id"], stripe_account_id=record.account)


def _on_dispute(record: WebhookEvent) -> None:
    # Opened, updated, closed (won, lost, an inquiry closed), funds withdrawn or reinstated:
    # the dispute is re-read, so each event just says "look again".
    order_apply_dispute(dispute_id=_event_object(record)["id"], stripe_account_id=record.account)


def _on_account_updated(record: WebhookEvent) -> None:
    account_id = record.account or _event_object(record).get("id", "")
    account_services.stripe_account_refresh(stripe_account_id=account_id)


def _on_account_deauthorized(record: WebhookEvent) -> None:
    account_services.stripe_account_disconnect(stripe_account_id=record.account)


def _on_membership_invoice(record: WebhookEvent) -> None:
    membership_services.membership_invoice_event(record=record)


def _on_membership_subscription(record: WebhookEvent) -> None:
    membership_services.membership_subscription_event(record=record)


DISPUTE_EVENT_TYPES = (
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)

# Checkout Sessions that belong to memberships (subscribing; updating a card).
MEMBERSHIP_SESSION_MODES = ("subscription", "setup")


def _on_refund(record: WebhookEvent) -> None:
    # A refund made anywhere (the app, the Dashboard, the API): its charge's refunds are re-read.
    charge = _event_object(record).get("charge")
    charge_id = charge if isinstance(charge, str) else (charge or {}).get("id", "")
    if charge_id:
        order_apply_refunds(charge_id=charge_id, stripe_account_id=record.account)


def _on_payout_or_balance(record: WebhookEvent) -> None:
    # Connect events name the seller's account; nothing is read from Stripe here.
    payout_snapshot_mark_stale(stripe_account_id=record.account)


WEBHOOK_HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_session_completed,
    "checkout.session.async_payment_failed": _on_session_async_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
    # Disputes, on the endpoint of whoever owns the charge.
    **dict.fromkeys(DISPUTE_EVENT_TYPES, _on_dispute),
    "account.updated": _on_account_updated,
    "account.application.deauthorized": _on_account_deauthorized,
    # Memberships (checkout/membership_services.py).
    "invoice.paid": _on_membership_invoice,
    "invoice.payment_failed": _on_membership_invoice,
    "customer.subscription.updated": _on_membership_subscription,
    "customer.subscription.deleted": _on_membership_subscription,
    # Refunds made anywhere (the app, the Dashboard, the API).
    "refund.created": _on_refund,
    "refund.updated": _on_refund,
    "refund.failed": _on_refund,
    "charge.refund.updated": _on_refund,
    # Balances and payouts: the seller's cached Payouts page is re-read on next view.
    **dict.fromkeys(PAYOUT_EVENT_TYPES, _on_payout_or_balance),
}
