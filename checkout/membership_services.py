"""Memberships: offering one, subscribing, following the subscription from Stripe's webhooks,
turning each paid invoice into a sale, cancelling and resuming.

As for orders, Stripe is never called inside a database transaction, and every handler re-reads
the subscription or invoice from Stripe before acting, so events may repeat or arrive in any
order. A membership that ended never comes back: a late `customer.subscription.updated` is
ignored once the membership is canceled.
"""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.money import percent_of
from checkout import emails, membership_emails, membership_selectors, stripe_payments
from checkout.models import Membership, MembershipOffer, Order, StripeCustomer
from checkout.selectors import stripe_customer_id
from checkout.services import sale_totals
from checkout.session_rules import (
    CHECKOUT_PREPARING_TIMEOUT,
    CHECKOUT_REUSE_MARGIN,
    CHECKOUT_SESSION_LIFETIME,
    SUCCESS_QUERY,
    site_url,
)
from checkout.tasks import membership_email_send, order_email_send
from site_config.stripe_client import StripeGatewayError

logger = logging.getLogger(__name__)

# Membership emails (the order emails cover receipts and sale notices of each invoice).
PAYMENT_FAILED_PREFIX = membership_emails.PAYMENT_FAILED_PREFIX


class MembershipError(Exception):
    """A membership action our rules refuse; `user_message` is safe to show."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


class AlreadyMember(MembershipError):
    pass


def membership_api_account(*, membership: Membership) -> str:
    """Where the subscription lives: the seller's account (direct) or the platform ("")."""
    if membership.charge_type == Order.ChargeType.DIRECT:
        return membership.stripe_account_id
    return ""


# --- Offer ----------------------------------------------------------------------------------


def membership_offer_save(
    *,
    seller: User,
    currency: str,
    monthly_amount: int,
    yearly_amount: int | None,
    is_active: bool = True,
) -> MembershipOffer:
    """Create or change the seller's membership in a currency, then its Stripe prices.

    A changed amount gets a new Price at the next `membership_offer_prices_ensure`; members
    keep the price they subscribed at.
    """
    if monthly_amount <= 0 or (yearly_amount is not None and yearly_amount <= 0):
        raise MembershipError("A membership price must be more than zero.")
    with transaction.atomic():
        offer, created = MembershipOffer.objects.select_for_update().get_or_create(
            seller=seller,
            currency=currency,
            defaults={
                "monthly_amount": monthly_amount,
                "yearly_amount": yearly_amount,
                "is_active": is_active,
            },
        )
        if not created:
            if offer.monthly_amount != monthly_amount:
                offer.monthly_price_id = ""
            if offer.yearly_amount != yearly_amount:
                offer.yearly_price_id = ""
            offer.monthly_amount = monthly_amount
            offer.yearly_amount = yearly_amount
            offer.is_active = is_active
            offer.save()
    seller_account = getattr(seller, "stripe_account", None)
    if seller_account is not None and seller_account.can_take_charges:
        offer = membership_offer_prices_ensure(offer=offer)
    return offer


def membership_offer_prices_ensure(*, offer: MembershipOffer) -> MembershipOffer:
    """Make sure the offer has a Product and a Price per interval on the account its charges
    use now (Stripe calls outside any transaction; each create has an idempotency key)."""
    charge_type = membership_selectors.membership_charge_type(seller=offer.seller)
    seller_account = offer.seller.stripe_account.stripe_account_id
    api_account = seller_account if charge_type == Order.ChargeType.DIRECT else ""
    changes: dict = {}
    if offer.charge_type != charge_type or offer.stripe_account_id != seller_account:
        # The seller's account or its type changed: prices elsewhere cannot be used here.
        changes = {
            "charge_type": charge_type,
            "stripe_account_id": seller_account,
            "stripe_product_id": "",
            "monthly_price_id": "",
            "yearly_price_id": "",
        }
    product_id = changes.get("stripe_product_id", offer.stripe_product_id)
    if not product_id:
        product_id = stripe_payments.membership_product_create(
            offer_id=offer.pk,
            name=f"{offer.seller.display_name}'s membership",
            stripe_account_id=api_account,
        )
        changes["stripe_product_id"] = product_id
    for interval, field in (
        (MembershipOffer.Interval.MONTH, "monthly_price_id"),
        (MembershipOffer.Interval.YEAR, "yearly_price_id"),
    ):
        amount = offer.amount_for(interval)
        if amount and not changes.get(field, getattr(offer, field)):
            changes[field] = stripe_payments.membership_price_create(
                offer_id=offer.pk,
                product_id=product_id,
                amount=amount,
                currency=offer.currency,
                interval=interval,
                stripe_account_id=api_account,
            )
    if changes:
        MembershipOffer.objects.filter(pk=offer.pk).update(**changes, updated_at=timezone.now())
        offer.refresh_from_db()
    return offer


# --- Subscribe ------------------------------------------------------------------------------


def membership_checkout_start(*, buyer: User, offer: MembershipOffer, interval: str) -> Membership:
    """A pending membership and its subscription-mode Checkout Session (the one Stripe call
    of a click once prices exist), or the buyer's open one. Raises `AlreadyMember`,
    `MembershipError` or `StripeGatewayError`."""
    seller = offer.seller
    if seller.pk == buyer.pk:
        raise MembershipError("You cannot subscribe to your own membership.")
    if not offer.is_active or offer.amount_for(interval) is None:
        raise MembershipError("This membership is not offered.")
    if membership_selectors.membership_sale_blocker(seller=seller) is not None:
        raise MembershipError("This membership is not available yet.")
    if membership_selectors.membership_open_for(buyer=buyer, seller=seller) is not None:
        raise AlreadyMember("You are already a member.")
    if not offer.price_id_for(interval) or offer.charge_type != (
        membership_selectors.membership_charge_type(seller=seller)
    ):
        offer = membership_offer_prices_ensure(offer=offer)
    now = timezone.now()
    with transaction.atomic():
        # The buyer's row serialises two clicks arriving together.
        User.objects.select_for_update().filter(pk=buyer.pk).first()
        if membership_selectors.membership_open_for(buyer=buyer, seller=seller) is not None:
            raise AlreadyMember("You are already a member.")
        latest = (
            Membership.objects.filter(buyer=buyer, seller=seller, status=Membership.Status.PENDING)
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is not None:
            if (
                latest.checkout_url
                and latest.interval == interval
                and latest.price_id == offer.price_id_for(interval)
                and latest.checkout_expires_at
                and latest.checkout_expires_at > now + CHECKOUT_REUSE_MARGIN
            ):
                return latest
            if not latest.checkout_url and latest.created_at > now - CHECKOUT_PREPARING_TIMEOUT:
                raise MembershipError("Your payment page is being prepared. Try again in a moment.")
        membership = Membership.objects.create(
            buyer=buyer,
            seller=seller,
            offer=offer,
            interval=interval,
            amount=offer.amount_for(interval),
            currency=offer.currency,
            platform_fee_percent=offer.platform_fee_percent,
            charge_type=offer.charge_type,
            stripe_account_id=offer.stripe_account_id,
            price_id=offer.price_id_for(interval),
        )
    customer_account = membership_api_account(membership=membership)
    customer_id = stripe_customer_id(user=buyer, stripe_account_id=customer_account)
    try:
        session = stripe_payments.membership_checkout_session_create(
            membership_id=membership.pk,
            charge_type=membership.charge_type,
            price_id=membership.price_id,
            fee_percent=str(membership.platform_fee_percent),
            stripe_account_id=membership.stripe_account_id,
            customer_id=customer_id,
            customer_email=buyer.email,
            success_url=site_url(reverse("checkout:membership-success")) + SUCCESS_QUERY,
            cancel_url=site_url(reverse("dashboards:purchases")),
            expires_at=now + CHECKOUT_SESSION_LIFETIME,
        )
    except StripeGatewayError:
        Membership.objects.filter(pk=membership.pk).update(status=Membership.Status.ABANDONED)
        raise
    membership.checkout_session_id = session.id
    membership.checkout_url = session.url
    membership.checkout_expires_at = session.expires_at
    membership.save(update_fields=["checkout_session_id", "checkout_url", "checkout_expires_at"])
    return membership


def membership_session_completed(*, session_id: str, stripe_account_id: str) -> Membership | None:
    """A subscription-mode Checkout finished: link its subscription and follow its state."""
    membership = Membership.objects.filter(checkout_session_id=session_id).first()
    if membership is None or membership_api_account(membership=membership) != stripe_account_id:
        return None
    session = stripe_payments.membership_checkout_retrieve(
        session_id=session_id, stripe_account_id=membership_api_account(membership=membership)
    )
    if session.status == "expired":
        Membership.objects.filter(pk=membership.pk, status=Membership.Status.PENDING).update(
            status=Membership.Status.ABANDONED, updated_at=timezone.now()
        )
        return Membership.objects.get(pk=membership.pk)
    if session.status != "complete" or not session.subscription_id:
        return membership
    _membership_link_subscription(
        membership=membership,
        subscription_id=session.subscription_id,
        customer_id=session.customer_id,
    )
    return membership_sync(
        subscription_id=session.subscription_id,
        stripe_account_id=membership_api_account(membership=membership),
    )


def _membership_link_subscription(
    *, membership: Membership, subscription_id: str, customer_id: str
) -> None:
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.subscription_id:
            return
        locked.subscription_id = subscription_id
        locked.customer_id = customer_id
        locked.save(update_fields=["subscription_id", "customer_id", "updated_at"])
        if customer_id:
            StripeCustomer.objects.update_or_create(
                user_id=locked.buyer_id,
                stripe_account_id=membership_api_account(membership=locked),
                defaults={"customer_id": customer_id},
            )


def _membership_for_subscription(
    *, subscription_id: str, membership_id: int | None, stripe_account_id: str
) -> Membership | None:
    """Find the membership by subscription id, or by the id we put in its metadata when the
    subscription's events overtake `checkout.session.completed`."""
    membership = Membership.objects.filter(subscription_id=subscription_id).first()
    if membership is not None or membership_id is None:
        return membership
    membership = Membership.objects.filter(pk=membership_id).first()
    if membership is None or membership_api_account(membership=membership) != stripe_account_id:
        return None
    _membership_link_subscription(
        membership=membership, subscription_id=subscription_id, customer_id=""
    )
    return Membership.objects.filter(subscription_id=subscription_id).first()


def membership_sync(*, subscription_id: str, stripe_account_id: str) -> Membership | None:
    """Mirror the subscription Stripe has now: status, period end, cancel at period end."""
    state = stripe_payments.subscription_retrieve(
        subscription_id=subscription_id, stripe_account_id=stripe_account_id
    )
    membership = _membership_for_subscription(
        subscription_id=subscription_id,
        membership_id=state.membership_id,
        stripe_account_id=stripe_account_id,
    )
    if membership is None:
        logger.info("Subscription %s is not a marketplace membership.", subscription_id)
        return None
    return _membership_apply(membership_id=membership.pk, state=state)


def _membership_apply(
    *, membership_id: int, state: stripe_payments.SubscriptionState
) -> Membership:
    now = timezone.now()
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        if membership.status == Membership.Status.CANCELED:
            return membership  # an ended membership never comes back
        status = membership_selectors.STRIPE_STATUSES.get(state.status, membership.status)
        if status == Membership.Status.PAST_DUE and membership.past_due_since is None:
            membership.past_due_since = now
        elif status != Membership.Status.PAST_DUE:
            membership.past_due_since = None
        if status in membership_selectors.OPEN_STATUSES and membership.started_at is None:
            membership.started_at = now
        if status == Membership.Status.CANCELED:
            membership.ended_at = state.ended_at or now
        membership.status = status
        if state.current_period_end:
            membership.current_period_end = state.current_period_end
        membership.cancel_at_period_end = state.cancel_at_period_end
        if state.customer_id and not membership.customer_id:
            membership.customer_id = state.customer_id
        membership.save()
        return membership


# --- Invoices -------------------------------------------------------------------------------


def membership_invoice_paid(*, invoice_id: str, stripe_account_id: str) -> Order | None:
    """A paid invoice becomes one sale (an order of the membership), with a receipt to the
    buyer and a notice to the seller, once per invoice however often this runs."""
    invoice = stripe_payments.invoice_retrieve(
        invoice_id=invoice_id, stripe_account_id=stripe_account_id
    )
    if invoice.status != "paid" or not invoice.subscription_id:
        return None
    membership = _membership_for_subscription(
        subscription_id=invoice.subscription_id,
        membership_id=invoice.membership_id,
        stripe_account_id=stripe_account_id,
    )
    if membership is None:
        logger.info("Invoice %s is not for a marketplace membership.", invoice_id)
        return None
    with transaction.atomic():
        Membership.objects.select_for_update().filter(pk=membership.pk).first()
        order = Order.objects.filter(invoice_id=invoice.id).first()
        if order is None:
            order = Order(
                buyer_id=membership.buyer_id,
                seller_id=membership.seller_id,
                course=None,
                membership=membership,
                invoice_id=invoice.id,
                charge_type=membership.charge_type,
                amount=invoice.amount_paid,
                # Stripe's own figure; our rule (percent of the amount, half up) if it has none.
                fee_amount=invoice.application_fee_amount
                or percent_of(invoice.amount_paid, membership.platform_fee_percent),
                currency=invoice.currency,
                stripe_account_id=membership.stripe_account_id,
                created_at=invoice.paid_at or timezone.now(),
            )
            order.mark_paid(payment=invoice, paid_at=invoice.paid_at or timezone.now())
            order.save()
            # The running totals move with the sale, as for a course sale.
            sale_totals.sale_totals_apply(
                before=None, after=sale_totals.sale_contribution(order=order)
            )
            _order_email_later(order_id=order.pk, kind=emails.RECEIPT)
            _order_email_later(order_id=order.pk, kind=emails.SALE)
    membership_sync(subscription_id=invoice.subscription_id, stripe_account_id=stripe_account_id)
    return order


def membership_invoice_failed(*, invoice_id: str, stripe_account_id: str) -> Membership | None:
    """A renewal failed: the membership is past due (access continues for the grace period)
    and the buyer is emailed a link to update their card, once per failed attempt."""
    invoice = stripe_payments.invoice_retrieve(
        invoice_id=invoice_id, stripe_account_id=stripe_account_id
    )
    if not invoice.subscription_id or invoice.status == "paid":
        return None
    membership = membership_sync(
        subscription_id=invoice.subscription_id, stripe_account_id=stripe_account_id
    )
    if membership is None:
        return None
    if membership.status == Membership.Status.PAST_DUE:
        kind = f"{PAYMENT_FAILED_PREFIX}{invoice.id}"
        transaction.on_commit(
            lambda: membership_email_send.enqueue(membership_id=membership.pk, kind=kind)
        )
    return membership


def _order_email_later(*, order_id: int, kind: str) -> None:
    transaction.on_commit(lambda: order_email_send.enqueue(order_id=order_id, kind=kind))


# --- Manage ---------------------------------------------------------------------------------


def membership_cancel_set(*, membership: Membership, cancel: bool) -> Membership:
    """Cancel at the end of the paid period, or resume before it ends (the buyer's choice)."""
    if membership.status not in membership_selectors.OPEN_STATUSES or not (
        membership.subscription_id
    ):
        raise MembershipError("This membership has ended.")
    if cancel == membership.cancel_at_period_end:
        return membership
    state = stripe_payments.subscription_cancel_at_period_end_set(
        subscription_id=membership.subscription_id,
        stripe_account_id=membership_api_account(membership=membership),
        cancel=cancel,
    )
    return _membership_apply(membership_id=membership.pk, state=state)


# --- Updating the card -----------------------------------------------------------------------
# Checkout in `setup` mode rather than the Billing Portal: it is the same hosted Checkout the
# app already uses on both account types, needs no portal configuration on every connected
# account (direct charges keep the customer there), and does only this one thing, while
# cancel and resume stay on our own pages with our confirmation step.


def membership_card_update_start(*, membership: Membership) -> str:
    """A hosted page where a past-due member saves a new card; returns its URL."""
    if membership.status != Membership.Status.PAST_DUE or not membership.customer_id:
        raise MembershipError("This membership has no failed payment to fix.")
    session = stripe_payments.membership_card_session_create(
        membership_id=membership.pk,
        # A double click within the same minute gets the same page back.
        attempt=int(timezone.now().timestamp()) // 60,
        customer_id=membership.customer_id,
        currency=membership.currency,
        stripe_account_id=membership_api_account(membership=membership),
        success_url=site_url(
            reverse("checkout:membership-card-updated", kwargs={"pk": membership.pk})
        )
        + SUCCESS_QUERY,
        cancel_url=site_url(reverse("dashboards:purchases")),
    )
    return session.url


def membership_card_updated(
    *, membership_id: int, session_id: str, stripe_account_id: str
) -> Membership | None:
    """The member saved a card: make it the subscription's card and retry the open invoice
    now. Safe to run twice (success page and webhook): a paid invoice is not paid again."""
    membership = Membership.objects.filter(pk=membership_id).first()
    if (
        membership is None
        or not membership.subscription_id
        or membership_api_account(membership=membership) != stripe_account_id
    ):
        return None
    payment_method_id = stripe_payments.setup_session_payment_method(
        session_id=session_id, stripe_account_id=stripe_account_id
    )
    if not payment_method_id:
        return membership
    state = stripe_payments.subscription_payment_method_set(
        subscription_id=membership.subscription_id,
        payment_method_id=payment_method_id,
        stripe_account_id=stripe_account_id,
    )
    if state.status in ("past_due", "unpaid") and state.latest_invoice_id:
        invoice = stripe_payments.invoice_retrieve(
            invoice_id=state.latest_invoice_id, stripe_account_id=stripe_account_id
        )
        if invoice.status == "open":
            stripe_payments.invoice_pay(
                invoice_id=invoice.id,
                payment_method_id=payment_method_id,
                stripe_account_id=stripe_account_id,
            )
            membership_invoice_paid(invoice_id=invoice.id, stripe_account_id=stripe_account_id)
    return membership_sync(
        subscription_id=membership.subscription_id, stripe_account_id=stripe_account_id
    )


# --- Reconciliation -------------------------------------------------------------------------


def memberships_reconcile() -> dict[str, int]:
    """Re-read open checkouts and live subscriptions from Stripe and repair what drifted,
    including paid invoices whose webhook never came."""
    counts = {"checked": 0, "errors": 0}
    for membership in membership_selectors.membership_list_to_reconcile():
        try:
            account = membership_api_account(membership=membership)
            if membership.subscription_id:
                state = stripe_payments.subscription_retrieve(
                    subscription_id=membership.subscription_id, stripe_account_id=account
                )
                if state.latest_invoice_id:
                    # Records the sale if the invoice is paid and no webhook said so.
                    membership_invoice_paid(
                        invoice_id=state.latest_invoice_id, stripe_account_id=account
                    )
                _membership_apply(membership_id=membership.pk, state=state)
            elif membership.checkout_session_id:
                completed = membership_session_completed(
                    session_id=membership.checkout_session_id, stripe_account_id=account
                )
                if completed is not None and completed.subscription_id:
                    latest = stripe_payments.subscription_retrieve(
                        subscription_id=completed.subscription_id, stripe_account_id=account
                    ).latest_invoice_id
                    if latest:
                        membership_invoice_paid(invoice_id=latest, stripe_account_id=account)
        except StripeGatewayError:
            logger.warning("Reconciling membership %s failed", membership.pk, exc_info=True)
            counts["errors"] += 1
            continue
        counts["checked"] += 1
    return counts


# --- Webhook events (dispatched from checkout.services.WEBHOOK_HANDLERS) --------------------
# Each re-reads the object from Stripe, so only the event's id and account matter here.


def _event_object(record) -> dict:
    return (record.payload.get("data") or {}).get("object") or {}


def membership_session_event(*, record) -> None:
    session = _event_object(record)
    if session.get("mode") == "setup":
        reference = (session.get("metadata") or {}).get("membership_id", "")
        if str(reference).isdigit() and record.type == "checkout.session.completed":
            membership_card_updated(
                membership_id=int(reference),
                session_id=session["id"],
                stripe_account_id=record.account,
            )
        return
    membership_session_completed(session_id=session["id"], stripe_account_id=record.account)


def membership_invoice_event(*, record) -> None:
    invoice = _event_object(record)
    if record.type == "invoice.paid":
        membership_invoice_paid(invoice_id=invoice["id"], stripe_account_id=record.account)
    else:
        membership_invoice_failed(invoice_id=invoice["id"], stripe_account_id=record.account)


def membership_subscription_event(*, record) -> None:
    membership_sync(subscription_id=_event_object(record)["id"], stripe_account_id=record.account)
