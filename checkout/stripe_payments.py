"""The door to Stripe for payments: Checkout Sessions, charges, transfers and refunds.

Functions take our types (integer minor units, lowercase currency, our ids) and return small
frozen dataclasses. Every seller-scoped call names the connected account explicitly and every
create carries an idempotency key built from our ids, so a retry never charges or pays twice.
Callers must not hold a database transaction open around these calls.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from site_config.stripe_client import stripe_client, stripe_errors

logger = logging.getLogger(__name__)

DIRECT = "direct"
DESTINATION = "destination"
SEPARATE = "separate"


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    expires_at: datetime | None
    amount_total: int
    currency: str
    customer_id: str
    order_id: int | None
    stripe_account_id: str  # "" when the session lives on the platform
    payment_intent_id: str
    charge_id: str
    application_fee_id: str
    transfer_id: str
    amount_refunded: int
    # From the charge's balance transaction, on the account that owns the charge.
    stripe_fee_amount: int = 0
    application_fee_refunded: int = 0
    transfer_reversed: int = 0


@dataclass(frozen=True)
class RefundState:
    """One refund of a charge as Stripe lists it, wherever it was made."""

    id: str
    amount: int
    currency: str
    status: str  # pending, requires_action, succeeded, failed, canceled
    failure_reason: str
    # Our Refund row's id, when the app made it (refund_create puts it in the metadata).
    refund_id: int | None


@dataclass(frozen=True)
class ChargeState:
    id: str
    payment_intent_id: str
    amount: int
    amount_refunded: int
    application_fee_refunded: int = 0
    # Destination charges: how much of the charge's transfer Stripe reversed.
    transfer_reversed: int = 0
    refunds: tuple[RefundState, ...] = ()
    stripe_fee_amount: int = 0
    # The marketplace order this charge pays for, from its PaymentIntent's metadata; None for a
    # charge made outside the marketplace (a Standard seller's own sales reach the same endpoint).
    order_id: int | None = None


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class TransferResult:
    id: str
    amount: int


def _call(description: str, call, *args, **kwargs) -> dict:
    """Make one SDK call; its result as plain dicts, its failure as a `StripeGatewayError`."""
    with stripe_errors(description):
        return call(*args, **kwargs).to_dict()


def _id_of(value: Any) -> str:
    """An expandable field is an id string or an expanded object; either way, its id."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return value.get("id") or ""


def _options(*, stripe_account_id: str = "", idempotency_key: str = "") -> dict:
    options: dict = {}
    if stripe_account_id:
        options["stripe_account"] = stripe_account_id
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def checkout_session_create(
    *,
    order_id: int,
    charge_type: str,
    course_title: str,
    amount: int,
    currency: str,
    fee_amount: int,
    stripe_account_id: str,
    customer_id: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
) -> CheckoutSession:
    """Open a hosted Checkout page for one order, with the money split its charge type asks for.

    https://docs.stripe.com/connect/direct-charges?platform=web&ui=stripe-hosted
    https://docs.stripe.com/connect/destination-charges?platform=web&ui=stripe-hosted
    https://docs.stripe.com/connect/separate-charges-and-transfers?platform=web&ui=stripe-hosted
    """
    reference = str(order_id)
    payment_intent_data: dict = {"metadata": {"order_id": reference}}
    if charge_type == DIRECT:
        payment_intent_data["application_fee_amount"] = fee_amount
    elif charge_type == DESTINATION:
        payment_intent_data["application_fee_amount"] = fee_amount
        payment_intent_data["transfer_data"] = {"destination": stripe_account_id}
    elif charge_type == SEPARATE:
        payment_intent_data["transfer_group"] = transfer_group_for(order_id=order_id)
    else:
        raise ValueError(f"Unknown charge type {charge_type!r}")

    params: dict = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": course_title},
                },
            }
        ],
        "client_reference_id": reference,
        "metadata": {"order_id": reference},
        "payment_intent_data": payment_intent_data,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
    }
    if customer_id:
        params["customer"] = customer_id
    else:
        params["customer_creation"] = "always"
        params["customer_email"] = customer_email

    session_account = stripe_account_id if charge_type == DIRECT else ""
    session = _call(
        "checkout session create",
        stripe_client().v1.checkout.sessions.create,
        params=params,
        options=_options(
            stripe_account_id=session_account,
            idempotency_key=f"order-{order_id}-checkout-session",
        ),
    )
    return _session_from_stripe(session, stripe_account_id=session_account)


def checkout_session_retrieve(*, session_id: str, stripe_account_id: str = "") -> CheckoutSession:
    """Re-read a session with its payment, charge, fee and transfer ids (for fulfilment), and
    the charge's balance transaction and application fee in the same call (Stripe's fee and
    what was returned of the platform's).
    https://docs.stripe.com/connect/charges#balance-transactions"""
    client = stripe_client()
    options = _options(stripe_account_id=stripe_account_id)
    session = _call(
        "checkout session retrieve",
        client.v1.checkout.sessions.retrieve,
        session_id,
        params={"expand": [f"payment_intent.latest_charge.{field}" for field in CHARGE_EXPAND]},
        options=options,
    )
    charge = None
    payment_intent = session.get("payment_intent")
    if payment_intent and session.get("payment_status") == "paid":
        charge = _paying_charge(payment_intent=payment_intent, options=options)
    return _session_from_stripe(session, stripe_account_id=stripe_account_id, charge=charge)


def _paying_charge(*, payment_intent, options: dict) -> dict:
    """The charge that paid a payment intent (its id, or the object already expanded), with the
    fields money is read from (`CHARGE_EXPAND`) expanded: a read only for what is not there yet."""
    client = stripe_client()
    if isinstance(payment_intent, str):
        payment_intent = _call(
            "payment intent retrieve",
            client.v1.payment_intents.retrieve,
            payment_intent,
            params={"expand": [f"latest_charge.{field}" for field in CHARGE_EXPAND]},
            options=options,
        )
    charge = payment_intent.get("latest_charge")
    if isinstance(charge, str):
        charge = _call(
            "charge retrieve",
            client.v1.charges.retrieve,
            charge,
            params={"expand": list(CHARGE_EXPAND)},
            options=options,
        )
    return charge or {}


# A charge's expandable fields fulfilment and refunds read figures from.
CHARGE_EXPAND = ("balance_transaction", "application_fee", "transfer")


def _stripe_fee(charge) -> int:
    """Stripe's own processing fee in the charge's balance transaction; on a direct charge its
    `fee` also holds the application fee, so only the `stripe_fee` details count."""
    transaction = charge.get("balance_transaction") if charge else None
    if not isinstance(transaction, dict):
        return 0
    return sum(
        detail.get("amount") or 0
        for detail in transaction.get("fee_details") or []
        if detail.get("type") == "stripe_fee"
    )


def _transfer_reversed(charge) -> int:
    transfer = charge.get("transfer") if charge else None
    return (transfer.get("amount_reversed") or 0) if isinstance(transfer, dict) else 0


def _application_fee_refunded(charge) -> int:
    fee = charge.get("application_fee") if charge else None
    return (fee.get("amount_refunded") or 0) if isinstance(fee, dict) else 0


def _session_from_stripe(session, *, stripe_account_id: str, charge=None) -> CheckoutSession:
    metadata = session.get("metadata") or {}
    reference = metadata.get("order_id") or session.get("client_reference_id") or ""
    return CheckoutSession(
        id=session["id"],
        url=session.get("url") or "",
        status=session.get("status") or "",
        payment_status=session.get("payment_status") or "",
        expires_at=_timestamp(session.get("expires_at")),
        amount_total=session.get("amount_total") or 0,
        currency=session.get("currency") or "",
        customer_id=_id_of(session.get("customer")),
        order_id=int(reference) if str(reference).isdigit() else None,
        stripe_account_id=stripe_account_id,
        payment_intent_id=_id_of(session.get("payment_intent")),
        charge_id=_id_of(charge),
        application_fee_id=_id_of(charge.get("application_fee")) if charge else "",
        transfer_id=_id_of(charge.get("transfer")) if charge else "",
        amount_refunded=(charge.get("amount_refunded") or 0) if charge else 0,
        stripe_fee_amount=_stripe_fee(charge),
        application_fee_refunded=_application_fee_refunded(charge),
        transfer_reversed=_transfer_reversed(charge),
    )


def charge_retrieve(*, charge_id: str, stripe_account_id: str = "") -> ChargeState:
    charge = _call(
        "charge retrieve",
        stripe_client().v1.charges.retrieve,
        charge_id,
        params={
            "expand": [
                "payment_intent",
                "application_fee",
                "transfer",
                "refunds",
                "balance_transaction",
            ]
        },
        options=_options(stripe_account_id=stripe_account_id),
    )
    payment_intent = charge.get("payment_intent")
    metadata = payment_intent.get("metadata") if isinstance(payment_intent, dict) else None
    reference = (metadata or charge.get("metadata") or {}).get("order_id", "")
    return ChargeState(
        id=charge["id"],
        payment_intent_id=_id_of(payment_intent),
        amount=charge.get("amount") or 0,
        amount_refunded=charge.get("amount_refunded") or 0,
        application_fee_refunded=_application_fee_refunded(charge),
        transfer_reversed=_transfer_reversed(charge),
        stripe_fee_amount=_stripe_fee(charge),
        refunds=tuple(_refund_state(refund) for refund in _refund_list(charge)),
        order_id=int(reference) if str(reference).isdigit() else None,
    )


def _refund_list(charge: dict) -> list[dict]:
    refunds = charge.get("refunds")
    return (refunds.get("data") or []) if isinstance(refunds, dict) else []


def _refund_state(refund: dict) -> RefundState:
    reference = str((refund.get("metadata") or {}).get("refund_id", ""))
    return RefundState(
        id=refund["id"],
        amount=refund.get("amount") or 0,
        currency=refund.get("currency") or "",
        status=refund.get("status") or "",
        failure_reason=refund.get("failure_reason") or "",
        refund_id=int(reference) if reference.isdigit() else None,
    )


def transfer_group_for(*, order_id: int) -> str:
    return f"order-{order_id}"


def transfer_create(
    *,
    order_id: int,
    amount: int,
    currency: str,
    destination: str,
    source_transaction: str,
) -> TransferResult:
    """Pay the seller's share of a separate charge; `source_transaction` ties it to the charge,
    so the transfer waits for the charge's funds instead of needing an available balance."""
    transfer = _call(
        "transfer create",
        stripe_client().v1.transfers.create,
        params={
            "amount": amount,
            "currency": currency,
            "destination": destination,
            "source_transaction": source_transaction,
            "transfer_group": transfer_group_for(order_id=order_id),
            "metadata": {"order_id": str(order_id)},
        },
        options=_options(idempotency_key=f"order-{order_id}-transfer"),
    )
    return TransferResult(id=transfer["id"], amount=transfer.get("amount") or amount)


def refund_create(
    *,
    refund_id: int,
    order_id: int,
    charge_type: str,
    payment_intent_id: str,
    amount: int,
    stripe_account_id: str,
) -> RefundResult:
    """Refund a payment, taking the money back from whoever it went to.

    Destination charges reverse the transfer and the application fee proportionally; direct
    charges are refunded on the connected account, with the platform's fee returned too.
    Separate charges are refunded on the platform: reverse the transfer with
    `transfer_reversal_create`.
    """
    params: dict = {
        "payment_intent": payment_intent_id,
        "amount": amount,
        "metadata": {"order_id": str(order_id), "refund_id": str(refund_id)},
    }
    account = ""
    if charge_type == DESTINATION:
        params["reverse_transfer"] = True
        params["refund_application_fee"] = True
    elif charge_type == DIRECT:
        params["refund_application_fee"] = True
        account = stripe_account_id
    refund = _call(
        "refund create",
        stripe_client().v1.refunds.create,
        params=params,
        options=_options(stripe_account_id=account, idempotency_key=f"refund-{refund_id}"),
    )
    return RefundResult(
        id=refund["id"], status=refund.get("status") or "", amount=refund.get("amount") or amount
    )


def transfer_reversal_create(
    *, refund_id: int, transfer_id: str, amount: int, attempt: int = 0
) -> TransferResult:
    """Take the seller's share of a refund back. Stripe saves a refused answer (the seller's
    balance was short) under its idempotency key, so each later attempt needs its own key;
    `transfer_reversal_find` first makes sure an earlier attempt did not go through."""
    key = f"refund-{refund_id}-reversal" + (f"-{attempt}" if attempt else "")
    reversal = _call(
        "transfer reversal create",
        stripe_client().v1.transfers.reversals.create,
        transfer_id,
        params={"amount": amount, "metadata": {"refund_id": str(refund_id)}},
        options=_options(idempotency_key=key),
    )
    return TransferResult(id=reversal["id"], amount=reversal.get("amount") or amount)


def transfer_reversal_find(*, refund_id: int, transfer_id: str) -> TransferResult | None:
    """The reversal made for one of our refunds, if any attempt at it went through."""
    reversals = _call(
        "transfer reversal list",
        stripe_client().v1.transfers.reversals.list,
        transfer_id,
        params={"limit": 100},
    )
    for reversal in reversals.get("data") or []:
        if (reversal.get("metadata") or {}).get("refund_id") == str(refund_id):
            return TransferResult(id=reversal["id"], amount=reversal.get("amount") or 0)
    return None


@dataclass(frozen=True)
class DisputeState:
    """A dispute as Stripe has it now, with what its balance transactions moved."""

    id: str
    charge_id: str
    status: str  # warning_needs_response, needs_response, under_review, won, lost, ...
    amount: int
    # The amount withdrawn less what was reinstated, and Stripe's dispute fee less any returned.
    withdrawn: int
    fee: int


def _dispute_state(dispute: dict) -> DisputeState:
    transactions = [
        txn for txn in dispute.get("balance_transactions") or [] if isinstance(txn, dict)
    ]
    return DisputeState(
        id=dispute["id"],
        charge_id=_id_of(dispute.get("charge")),
        status=dispute.get("status") or "",
        amount=dispute.get("amount") or 0,
        withdrawn=-sum(txn.get("amount") or 0 for txn in transactions),
        fee=sum(txn.get("fee") or 0 for txn in transactions),
    )


def dispute_retrieve(*, dispute_id: str, stripe_account_id: str = "") -> DisputeState:
    """A dispute lives with its charge: on the seller's account for direct charges."""
    dispute = _call(
        "dispute retrieve",
        stripe_client().v1.disputes.retrieve,
        dispute_id,
        options=_options(stripe_account_id=stripe_account_id),
    )
    return _dispute_state(dispute)


def dispute_for_charge(*, charge_id: str, stripe_account_id: str = "") -> DisputeState | None:
    disputes = _call(
        "dispute list",
        stripe_client().v1.disputes.list,
        params={"charge": charge_id, "limit": 1},
        options=_options(stripe_account_id=stripe_account_id),
    )
    found = disputes.get("data") or []
    return _dispute_state(found[0]) if found else None


# === Memberships ============================================================================
# Products, recurring Prices, subscription-mode Checkout, subscriptions and their invoices.
# Objects live where the charge lives: the seller's account for direct charges (every call
# passes it), the platform for destination charges.


@dataclass(frozen=True)
class MembershipCheckout:
    id: str
    url: str
    status: str  # open, complete, expired
    mode: str
    expires_at: datetime | None
    subscription_id: str
    customer_id: str
    setup_intent_id: str
    membership_id: int | None


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    status: str  # active, past_due, canceled, incomplete, unpaid, ...
    customer_id: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    ended_at: datetime | None
    latest_invoice_id: str
    membership_id: int | None


@dataclass(frozen=True)
class InvoiceState:
    id: str
    status: str  # draft, open, paid, void, uncollectible
    subscription_id: str
    membership_id: int | None
    amount_paid: int
    currency: str
    application_fee_amount: int
    paid_at: datetime | None
    payment_intent_id: str
    charge_id: str
    application_fee_id: str
    transfer_id: str
    amount_refunded: int
    next_payment_attempt: datetime | None
    # The paying charge's money as `Order.mark_paid` reads it (see `_stripe_fee`).
    stripe_fee_amount: int = 0
    application_fee_refunded: int = 0
    transfer_reversed: int = 0

    @property
    def amount_total(self) -> int:
        """What was paid, under the name `Order.mark_paid` reads."""
        return self.amount_paid


def _membership_reference(metadata: dict | None) -> int | None:
    reference = (metadata or {}).get("membership_id", "")
    return int(reference) if str(reference).isdigit() else None


def membership_product_create(*, offer_id: int, name: str, stripe_account_id: str) -> str:
    """The Product a seller's membership prices hang on; returns its id."""
    product = _call(
        "product create",
        stripe_client().v1.products.create,
        params={"name": name, "metadata": {"membership_offer_id": str(offer_id)}},
        options=_options(
            stripe_account_id=stripe_account_id,
            idempotency_key=f"membership-offer-{offer_id}-product-{stripe_account_id or 'p'}",
        ),
    )
    return product["id"]


def membership_price_create(
    *,
    offer_id: int,
    product_id: str,
    amount: int,
    currency: str,
    interval: str,
    stripe_account_id: str,
) -> str:
    """A recurring Price for the membership; prices are immutable, so each amount is a new one."""
    price = _call(
        "price create",
        stripe_client().v1.prices.create,
        params={
            "product": product_id,
            "unit_amount": amount,
            "currency": currency,
            "recurring": {"interval": interval},
            "metadata": {"membership_offer_id": str(offer_id)},
        },
        options=_options(
            stripe_account_id=stripe_account_id,
            idempotency_key=(
                f"membership-offer-{offer_id}-price-{product_id}-{interval}-{currency}-{amount}"
            ),
        ),
    )
    return price["id"]


def membership_checkout_session_create(
    *,
    membership_id: int,
    charge_type: str,
    price_id: str,
    fee_percent: str,
    stripe_account_id: str,
    customer_id: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
) -> MembershipCheckout:
    """A hosted Checkout page that starts the subscription, with the platform's fee percent.

    https://docs.stripe.com/connect/subscriptions
    Direct: on the seller's account with `application_fee_percent`. Destination: on the
    platform with `transfer_data.destination` and `application_fee_percent`.
    """
    reference = str(membership_id)
    subscription_data: dict = {
        "application_fee_percent": fee_percent,
        "metadata": {"membership_id": reference},
    }
    if charge_type == DESTINATION:
        subscription_data["transfer_data"] = {"destination": stripe_account_id}
    elif charge_type != DIRECT:
        raise ValueError(f"Memberships use direct or destination charges, not {charge_type!r}")
    params: dict = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "client_reference_id": f"membership-{reference}",
        "metadata": {"membership_id": reference},
        "subscription_data": subscription_data,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
    }
    if customer_id:
        params["customer"] = customer_id
    else:
        params["customer_email"] = customer_email
    session_account = stripe_account_id if charge_type == DIRECT else ""
    session = _call(
        "membership checkout session create",
        stripe_client().v1.checkout.sessions.create,
        params=params,
        options=_options(
            stripe_account_id=session_account,
            idempotency_key=f"membership-{membership_id}-checkout-session",
        ),
    )
    return _membership_checkout_from_stripe(session)


def membership_checkout_retrieve(*, session_id: str, stripe_account_id: str) -> MembershipCheckout:
    session = _call(
        "membership checkout session retrieve",
        stripe_client().v1.checkout.sessions.retrieve,
        session_id,
        options=_options(stripe_account_id=stripe_account_id),
    )
    return _membership_checkout_from_stripe(session)


def _membership_checkout_from_stripe(session: dict) -> MembershipCheckout:
    return MembershipCheckout(
        id=session["id"],
        url=session.get("url") or "",
        status=session.get("status") or "",
        mode=session.get("mode") or "",
        expires_at=_timestamp(session.get("expires_at")),
        subscription_id=_id_of(session.get("subscription")),
        customer_id=_id_of(session.get("customer")),
        setup_intent_id=_id_of(session.get("setup_intent")),
        membership_id=_membership_reference(session.get("metadata")),
    )


def subscription_retrieve(*, subscription_id: str, stripe_account_id: str) -> SubscriptionState:
    subscription = _call(
        "subscription retrieve",
        stripe_client().v1.subscriptions.retrieve,
        subscription_id,
        options=_options(stripe_account_id=stripe_account_id),
    )
    return _subscription_from_stripe(subscription)


def _subscription_from_stripe(subscription: dict) -> SubscriptionState:
    items = (subscription.get("items") or {}).get("data") or [{}]
    # Since API version 2025-03-31 the period lives on the subscription item.
    period_end = items[0].get("current_period_end") or subscription.get("current_period_end")
    return SubscriptionState(
        id=subscription["id"],
        status=subscription.get("status") or "",
        customer_id=_id_of(subscription.get("customer")),
        current_period_end=_timestamp(period_end),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        ended_at=_timestamp(subscription.get("ended_at")),
        latest_invoice_id=_id_of(subscription.get("latest_invoice")),
        membership_id=_membership_reference(subscription.get("metadata")),
    )


def subscription_cancel_at_period_end_set(
    *, subscription_id: str, stripe_account_id: str, cancel: bool
) -> SubscriptionState:
    """Cancel at the end of the paid period (True) or take that back (False)."""
    subscription = _call(
        "subscription update",
        stripe_client().v1.subscriptions.update,
        subscription_id,
        params={"cancel_at_period_end": cancel},
        options=_options(stripe_account_id=stripe_account_id),
    )
    return _subscription_from_stripe(subscription)


def invoice_retrieve(*, invoice_id: str, stripe_account_id: str) -> InvoiceState:
    """Re-read an invoice with the charge that paid it (for the sale it becomes)."""
    client = stripe_client()
    options = _options(stripe_account_id=stripe_account_id)
    invoice = _call(
        "invoice retrieve",
        client.v1.invoices.retrieve,
        invoice_id,
        params={"expand": ["payments"]},
        options=options,
    )
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    payment_intent_id = ""
    for payment in (invoice.get("payments") or {}).get("data") or []:
        if payment.get("status") == "paid":
            payment_intent_id = _id_of((payment.get("payment") or {}).get("payment_intent"))
            break
    charge: dict = {}
    if payment_intent_id:
        charge = _paying_charge(payment_intent=payment_intent_id, options=options)
    transitions = invoice.get("status_transitions") or {}
    return InvoiceState(
        id=invoice["id"],
        status=invoice.get("status") or "",
        subscription_id=_id_of(details.get("subscription")),
        membership_id=_membership_reference(details.get("metadata")),
        amount_paid=invoice.get("amount_paid") or 0,
        currency=invoice.get("currency") or "",
        application_fee_amount=invoice.get("application_fee_amount") or 0,
        paid_at=_timestamp(transitions.get("paid_at")),
        payment_intent_id=payment_intent_id,
        charge_id=_id_of(charge),
        application_fee_id=_id_of(charge.get("application_fee")),
        transfer_id=_id_of(charge.get("transfer")),
        amount_refunded=charge.get("amount_refunded") or 0,
        next_payment_attempt=_timestamp(invoice.get("next_payment_attempt")),
        stripe_fee_amount=_stripe_fee(charge),
        application_fee_refunded=_application_fee_refunded(charge),
        transfer_reversed=_transfer_reversed(charge),
    )


def membership_card_session_create(
    *,
    membership_id: int,
    attempt: int,
    customer_id: str,
    currency: str,
    stripe_account_id: str,
    success_url: str,
    cancel_url: str,
) -> MembershipCheckout:
    """A `setup` mode Checkout page where a member saves a new card (nothing is charged).

    https://docs.stripe.com/payments/checkout/subscriptions/update-payment-details
    """
    reference = str(membership_id)
    session = _call(
        "card update session create",
        stripe_client().v1.checkout.sessions.create,
        params={
            "mode": "setup",
            "currency": currency,
            "customer": customer_id,
            "metadata": {"membership_id": reference},
            "setup_intent_data": {"metadata": {"membership_id": reference}},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options=_options(
            stripe_account_id=stripe_account_id,
            idempotency_key=f"membership-{membership_id}-card-{attempt}",
        ),
    )
    return _membership_checkout_from_stripe(session)


def setup_session_payment_method(*, session_id: str, stripe_account_id: str) -> str:
    """The card a completed setup session saved; "" while it is not complete."""
    session = _call(
        "setup session retrieve",
        stripe_client().v1.checkout.sessions.retrieve,
        session_id,
        params={"expand": ["setup_intent"]},
        options=_options(stripe_account_id=stripe_account_id),
    )
    intent = session.get("setup_intent")
    if session.get("status") != "complete" or not isinstance(intent, dict):
        return ""
    if intent.get("status") != "succeeded":
        return ""
    return _id_of(intent.get("payment_method"))


def subscription_payment_method_set(
    *, subscription_id: str, payment_method_id: str, stripe_account_id: str
) -> SubscriptionState:
    subscription = _call(
        "subscription update",
        stripe_client().v1.subscriptions.update,
        subscription_id,
        params={"default_payment_method": payment_method_id},
        options=_options(stripe_account_id=stripe_account_id),
    )
    return _subscription_from_stripe(subscription)


def invoice_pay(*, invoice_id: str, payment_method_id: str, stripe_account_id: str) -> str:
    """Retry an open invoice now with the subscription's card; returns the invoice's status.
    A decline is a `StripeGatewayError` with the card's message."""
    invoice = _call(
        "invoice pay",
        stripe_client().v1.invoices.pay,
        invoice_id,
        options=_options(
            stripe_account_id=stripe_account_id,
            # Per card: a retry with the same card replays, a new card is a new attempt.
            idempotency_key=f"invoice-{invoice_id}-pay-{payment_method_id}",
        ),
    )
    return invoice.get("status") or ""


# --- Balances and payouts of a connected account -----------------------------------------------


@dataclass(frozen=True)
class BalanceAmount:
    currency: str
    available: int
    pending: int


@dataclass(frozen=True)
class PayoutSummary:
    id: str
    amount: int
    currency: str
    status: str  # pending, in_transit, paid, failed, canceled
    arrival_date: datetime | None
    created: datetime | None
    failure_message: str

    @property
    def status_label(self) -> str:
        return PAYOUT_STATUS_LABELS.get(self.status, self.status.replace("_", " ").capitalize())


PAYOUT_STATUS_LABELS = {
    "pending": "Pending",
    "in_transit": "On its way",
    "paid": "Paid",
    "failed": "Failed",
    "canceled": "Cancelled",
}


@dataclass(frozen=True)
class PayoutOverview:
    balances: tuple[BalanceAmount, ...]
    schedule_interval: str  # manual, daily, weekly, monthly
    schedule_delay_days: int
    schedule_anchor: str  # the weekday or day of month for weekly and monthly payouts
    payouts: tuple[PayoutSummary, ...]

    @property
    def schedule_description(self) -> str:
        """The payout schedule in words, as Stripe's Dashboard puts it."""
        if self.schedule_interval == "manual":
            return "Manual: you start each payout from Stripe."
        when = {
            "daily": "Every day",
            "weekly": f"Every week on {self.schedule_anchor.capitalize() or 'the same day'}",
            "monthly": f"Every month on day {self.schedule_anchor or 1}",
        }.get(self.schedule_interval, "Automatic")
        days = self.schedule_delay_days
        return f"{when}; money from a sale is paid out {days} day{'s' * (days != 1)} after it."


@dataclass(frozen=True)
class PayoutLine:
    """One balance transaction a payout paid out: a charge (direct) or a transfer's payment."""

    type: str
    amount: int
    fee: int
    net: int
    currency: str
    charge_id: str  # the charge on the account (direct charges)
    transfer_id: str  # the platform transfer that paid it (destination, separate)


def payout_overview_retrieve(*, stripe_account_id: str, limit: int = 10) -> PayoutOverview:
    """A connected account's balance, payout schedule and recent payouts (three reads).
    https://docs.stripe.com/connect/payouts-connected-accounts"""
    client = stripe_client()
    options = _options(stripe_account_id=stripe_account_id)
    balance = _call("balance retrieve", client.v1.balance.retrieve, options=options)
    payouts = _call("payout list", client.v1.payouts.list, params={"limit": limit}, options=options)
    account = _call("account retrieve", client.v1.accounts.retrieve, stripe_account_id)
    pending = {entry["currency"]: entry["amount"] for entry in balance.get("pending") or []}
    available = {entry["currency"]: entry["amount"] for entry in balance.get("available") or []}
    schedule = ((account.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    return PayoutOverview(
        balances=tuple(
            BalanceAmount(
                currency=currency,
                available=available.get(currency, 0),
                pending=pending.get(currency, 0),
            )
            for currency in sorted(available.keys() | pending.keys())
        ),
        schedule_interval=schedule.get("interval") or "",
        schedule_delay_days=schedule.get("delay_days") or 0,
        schedule_anchor=str(schedule.get("weekly_anchor") or schedule.get("monthly_anchor") or ""),
        payouts=tuple(
            PayoutSummary(
                id=payout["id"],
                amount=payout.get("amount") or 0,
                currency=payout.get("currency") or "",
                status=payout.get("status") or "",
                arrival_date=_timestamp(payout.get("arrival_date")),
                created=_timestamp(payout.get("created")),
                failure_message=payout.get("failure_message") or "",
            )
            for payout in payouts.get("data") or []
        ),
    )


def payout_lines_list(*, stripe_account_id: str, payout_id: str) -> list[PayoutLine]:
    """The balance transactions a payout paid out, with each one's source expanded so a
    transfer's payment names its transfer (up to 100: one page, enough for one payout here)."""
    listing = _call(
        "balance transaction list",
        stripe_client().v1.balance_transactions.list,
        params={"payout": payout_id, "limit": 100, "expand": ["data.source"]},
        options=_options(stripe_account_id=stripe_account_id),
    )
    lines = []
    for txn in listing.get("data") or []:
        source = txn.get("source")
        source_id = _id_of(source)
        transfer_id = _id_of(source.get("source_transfer")) if isinstance(source, dict) else ""
        lines.append(
            PayoutLine(
                type=txn.get("type") or "",
                amount=txn.get("amount") or 0,
                fee=txn.get("fee") or 0,
                net=txn.get("net") or 0,
                currency=txn.get("currency") or "",
                charge_id=source_id if source_id.startswith("ch_") else "",
                transfer_id=transfer_id,
            )
        )
    return lines


def transfer_reversed_total(*, transfer_id: str) -> int:
    """How much of a transfer to a seller has been reversed (separate charges' refunds)."""
    transfer = _call("transfer retrieve", stripe_client().v1.transfers.retrieve, transfer_id)
    return transfer.get("amount_reversed") or 0


@dataclass(frozen=True)
class AccountMoney:
    """What a connected account received in one currency, as Stripe holds it: its balance
    (available and pending) plus what its payouts took to the bank (failed ones came back)."""

    currency: str
    balance: int
    paid_out: int

    @property
    def received(self) -> int:
        return self.balance + self.paid_out


# A payout in these states took its money out of the balance for good.
PAYOUT_GONE = ("pending", "in_transit", "paid")


def account_money_retrieve(*, stripe_account_id: str) -> dict[str, AccountMoney]:
    """A connected account's balance and every payout's amount, per currency."""
    client = stripe_client()
    options = _options(stripe_account_id=stripe_account_id)
    balance = _call("balance retrieve", client.v1.balance.retrieve, options=options)
    held: dict[str, int] = {}
    for entry in [*(balance.get("available") or []), *(balance.get("pending") or [])]:
        held[entry["currency"]] = held.get(entry["currency"], 0) + (entry.get("amount") or 0)
    paid_out: dict[str, int] = {}
    params: dict = {"limit": 100}
    while True:
        page = _call("payout list", client.v1.payouts.list, params=params, options=options)
        payouts = page.get("data") or []
        for payout in payouts:
            if payout.get("status") in PAYOUT_GONE:
                currency = payout.get("currency") or ""
                paid_out[currency] = paid_out.get(currency, 0) + (payout.get("amount") or 0)
        if not page.get("has_more") or not payouts:
            break
        params = {"limit": 100, "starting_after": payouts[-1]["id"]}
    return {
        currency: AccountMoney(
            currency=currency, balance=held.get(currency, 0), paid_out=paid_out.get(currency, 0)
        )
        for currency in sorted(held.keys() | paid_out.keys())
    }
