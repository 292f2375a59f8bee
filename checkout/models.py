from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Order(models.Model):
    """One buyer's purchase of one course, from the Checkout Session to payment and refund."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending payment"
        PAID = "paid", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed"
        DISPUTE_LOST = "dispute_lost", "Dispute lost"
        FAILED = "failed", "Payment failed"
        CANCELLED = "cancelled", "Cancelled"

    class ChargeType(models.TextChoices):
        DIRECT = "direct", "Direct charge"
        DESTINATION = "destination", "Destination charge"
        SEPARATE = "separate", "Separate charge and transfer"

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    # Empty for a membership invoice: that sale is for the seller's membership, not one course.
    course = models.ForeignKey(
        "catalog.Course",
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
    )
    membership = models.ForeignKey(
        "checkout.Membership",
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
    )
    # The Stripe invoice a membership sale records, so each invoice is one sale at most.
    invoice_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # Copied from the course at purchase time so a sale stays the seller's whatever happens later.
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales"
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING)
    charge_type = models.CharField(max_length=16, choices=ChargeType.choices)
    amount = models.PositiveIntegerField(help_text="What the buyer pays, in minor units.")
    fee_amount = models.PositiveIntegerField(help_text="The platform's fee, in minor units.")
    currency = models.CharField(max_length=3)
    refunded_amount = models.PositiveIntegerField(default=0)
    # Money as Stripe has it (issue 11): Stripe's processing fee from the charge's balance
    # transaction, the platform fee given back by refunds, and (separate charges) the seller's
    # transfer taken back; the two nets follow from them in `money_recompute`.
    stripe_fee_amount = models.PositiveIntegerField(
        default=0, help_text="Stripe's processing fee on the charge, in minor units."
    )
    fee_refunded_amount = models.PositiveIntegerField(
        default=0, help_text="Application fee returned by refunds (direct, destination)."
    )
    transfer_reversed_amount = models.PositiveIntegerField(
        default=0, help_text="The seller's transfer taken back (destination, separate)."
    )
    seller_net_amount = models.IntegerField(
        default=0, help_text="What reaches the seller's Stripe balance."
    )
    platform_net_amount = models.IntegerField(
        default=0, help_text="Platform fees kept less Stripe fees the platform bore."
    )
    # A dispute (chargeback) as Stripe reports it: the amount withdrawn and not reinstated, and
    # Stripe's dispute fee, both from the dispute's balance transactions. They leave the balance
    # of whoever owns the charge: the seller on direct charges, the platform otherwise.
    dispute_id = models.CharField(max_length=255, blank=True)
    dispute_status = models.CharField(max_length=32, blank=True)
    dispute_amount = models.IntegerField(
        default=0, help_text="Disputed amount withdrawn and not reinstated, in minor units."
    )
    dispute_fee_amount = models.IntegerField(
        default=0, help_text="Stripe's dispute fee kept, in minor units."
    )
    stripe_account_id = models.CharField(
        max_length=255, help_text="The seller's connected account."
    )
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    charge_id = models.CharField(max_length=255, blank=True)
    transfer_id = models.CharField(max_length=255, blank=True)
    application_fee_id = models.CharField(max_length=255, blank=True)
    # Set while one process creates the separate-charge Transfer, so concurrent fulfilments
    # never ask Stripe twice; a stale claim (a crashed process) may be taken over.
    transfer_claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["seller", "status", "paid_at"], name="order_seller_status_paid"),
            models.Index(fields=["seller", "paid_at"], name="order_seller_paid"),
            models.Index(fields=["buyer", "created_at"], name="order_buyer_created"),
            models.Index(fields=["status", "paid_at"], name="order_status_paid"),
            # Dashboards: the money columns ride along so period totals read only the index.
            models.Index(
                fields=[
                    "seller",
                    "paid_at",
                    "currency",
                    "amount",
                    "fee_amount",
                    "refunded_amount",
                    "course",
                ],
                name="order_seller_paid_totals",
            ),
            models.Index(
                fields=[
                    "paid_at",
                    "currency",
                    "amount",
                    "fee_amount",
                    "refunded_amount",
                    "charge_type",
                    "seller",
                ],
                name="order_paid_totals",
            ),
            models.Index(fields=["buyer", "paid_at"], name="order_buyer_paid"),
            # The seller's sales table sorted by amount reads one page, not every sale.
            models.Index(fields=["seller", "amount", "id"], name="order_seller_amount"),
            # Buyer email search: the matching buyers' sales of one seller.
            models.Index(fields=["seller", "buyer", "paid_at"], name="order_seller_buyer"),
            # The sales table filtered to membership invoices reads only those.
            models.Index(
                fields=["seller", "paid_at"],
                condition=models.Q(membership__isnull=False),
                name="order_seller_membership_paid",
            ),
        ]
        constraints = [
            # A course sale or a membership invoice, never both or neither: the dashboards tell
            # the two kinds apart by whichever of the two is set.
            models.CheckConstraint(
                condition=models.Q(course__isnull=False, membership__isnull=True)
                | models.Q(course__isnull=True, membership__isnull=False),
                name="order_course_or_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} — {self.course_id} for {self.buyer_id} ({self.status})"

    @property
    def net_amount(self) -> int:
        return self.amount - self.fee_amount

    @property
    def is_membership(self) -> bool:
        return self.membership_id is not None

    @property
    def item_title(self) -> str:
        """What was sold, in words: the course, or the seller's membership."""
        if self.course_id is None:
            return f"{self.seller.display_name}'s membership"
        return self.course.title

    @property
    def stripe_fee_borne_by_seller(self) -> bool:
        """Stripe takes its fee from whoever owns the charge: the seller's account on direct
        charges, the platform on destination and separate ones."""
        return self.charge_type == self.ChargeType.DIRECT

    @property
    def seller_stripe_fee_amount(self) -> int:
        return self.stripe_fee_amount if self.stripe_fee_borne_by_seller else 0

    @property
    def fee_returned_amount(self) -> int:
        """The platform fee given back. Destination and separate charges live on the platform,
        which also bears whatever part of a refund no transfer reversal took back from the
        seller (negative when a reversal outlived a refund that failed)."""
        if self.charge_type == self.ChargeType.DIRECT:
            return self.fee_refunded_amount
        return self.fee_refunded_amount + self.refunded_amount - self.transfer_reversed_amount

    @property
    def platform_fee_kept_amount(self) -> int:
        return self.fee_amount - self.fee_returned_amount

    @property
    def dispute_loss_amount(self) -> int:
        """What a dispute took: the amount withdrawn and not reinstated, plus Stripe's fee."""
        return self.dispute_amount + self.dispute_fee_amount

    @property
    def seller_dispute_loss_amount(self) -> int:
        """A dispute leaves the balance of whoever owns the charge, as Stripe's fee does."""
        return self.dispute_loss_amount if self.stripe_fee_borne_by_seller else 0

    @property
    def platform_dispute_loss_amount(self) -> int:
        return self.dispute_loss_amount - self.seller_dispute_loss_amount

    def money_recompute(self) -> None:
        """The one formula for the two nets, from the figures Stripe reported.

        Seller net = gross − Stripe fee (direct charges only) − platform fee kept − refunds
        − dispute loss (direct charges only), which is what reached the seller's balance: on a
        direct charge, the charge less Stripe's fee, the application fee (plus what was refunded
        of it), the refunds and what a dispute withdrew; otherwise the transfer less the
        application fee (plus refunds of it) and the transfer reversals.
        Platform net = platform fee kept − Stripe fee − dispute loss (both for destination and
        separate charges, which live on the platform).
        """
        if self.paid_at is None:
            self.seller_net_amount = self.platform_net_amount = 0
            return
        self.seller_net_amount = (
            self.amount
            - self.seller_stripe_fee_amount
            - self.platform_fee_kept_amount
            - self.refunded_amount
            - self.seller_dispute_loss_amount
        )
        platform_stripe_fee = self.stripe_fee_amount - self.seller_stripe_fee_amount
        self.platform_net_amount = (
            self.platform_fee_kept_amount - platform_stripe_fee - self.platform_dispute_loss_amount
        )

    # Stripe's dispute statuses: still open, and closed for or against the seller.
    DISPUTE_OPEN = frozenset(
        {"warning_needs_response", "warning_under_review", "needs_response", "under_review"}
    )
    # An inquiry closed without a chargeback (`warning_closed`) or a prevented dispute moves no
    # money, like a won one gives it back.
    DISPUTE_SETTLED_FOR_SELLER = frozenset({"won", "warning_closed", "prevented"})

    # Stripe's dispute statuses in the words a seller reads on the sale page.
    DISPUTE_STATUS_WORDS = {
        "warning_needs_response": "Inquiry: the bank asks for evidence",
        "warning_under_review": "Inquiry: the bank is reviewing the evidence",
        "warning_closed": "Inquiry closed without a chargeback",
        "needs_response": "Open: evidence is needed",
        "under_review": "Open: the bank is reviewing the evidence",
        "won": "Won: the money came back",
        "lost": "Lost: the buyer's bank kept the money",
        "prevented": "Prevented before it became a chargeback",
    }

    @property
    def dispute_status_words(self) -> str:
        return self.DISPUTE_STATUS_WORDS.get(self.dispute_status, "In progress")

    def apply_dispute(self, *, dispute_id: str, status: str, withdrawn: int, fee: int) -> bool:
        """Follow a dispute as Stripe has it now; True when anything changed.

        Open: the sale stops granting access. Won (or an inquiry closed): it is a sale again.
        Lost: the buyer keeps the money back, and the sale says so. The figures are always the
        dispute's balance transactions, so the nets equal what Stripe moved."""
        before = (
            self.status,
            self.dispute_id,
            self.dispute_status,
            self.dispute_amount,
            self.dispute_fee_amount,
        )
        self.dispute_id = dispute_id
        self.dispute_status = status
        self.dispute_amount = withdrawn
        self.dispute_fee_amount = fee
        if status in self.DISPUTE_OPEN and self.status in ACCESS_STATUSES:
            self.status = self.Status.DISPUTED
        elif status in self.DISPUTE_SETTLED_FOR_SELLER and self.status == self.Status.DISPUTED:
            self.status = (
                self.Status.PARTIALLY_REFUNDED if self.refunded_amount else self.Status.PAID
            )
        elif status == "lost" and (
            self.status in ACCESS_STATUSES or self.status == self.Status.DISPUTED
        ):
            self.status = self.Status.DISPUTE_LOST
        self.money_recompute()
        return before != (
            self.status,
            self.dispute_id,
            self.dispute_status,
            self.dispute_amount,
            self.dispute_fee_amount,
        )

    def apply_transfer_reversed_total(self, *, reversed_total: int) -> bool:
        """Follow how much of the seller's transfer Stripe reversed; True when it changed."""
        if reversed_total == self.transfer_reversed_amount:
            return False
        self.transfer_reversed_amount = reversed_total
        self.money_recompute()
        return True

    @property
    def grants_access(self) -> bool:
        return self.status in ACCESS_STATUSES

    def mark_paid(self, *, payment: "PaymentFacts", paid_at) -> None:
        """Record a payment Stripe reports as made. Amounts come from Stripe, not from us."""
        self.status = self.Status.PAID
        # What Stripe charged is what was paid; a mismatch is logged by the caller.
        if payment.amount_total:
            self.amount = payment.amount_total
        if payment.currency:
            self.currency = payment.currency
        self.payment_intent_id = payment.payment_intent_id
        self.charge_id = payment.charge_id
        self.application_fee_id = payment.application_fee_id
        if payment.transfer_id:
            self.transfer_id = payment.transfer_id
        self.paid_at = paid_at
        self.stripe_fee_amount = payment.stripe_fee_amount
        self.fee_refunded_amount = payment.application_fee_refunded
        if self.charge_type == self.ChargeType.DESTINATION:
            # Stripe reverses a destination charge's transfer itself; separate charges' reversals
            # are the app's own (`checkout.services.refunds`).
            self.transfer_reversed_amount = payment.transfer_reversed
        self.apply_refunded_total(refunded_total=payment.amount_refunded)
        self.money_recompute()

    def apply_fee_refunded_total(self, *, fee_refunded_total: int) -> bool:
        """Follow Stripe's cumulative application fee refunded; True when it grew."""
        if fee_refunded_total <= self.fee_refunded_amount:
            return False
        self.fee_refunded_amount = min(fee_refunded_total, self.fee_amount)
        self.money_recompute()
        return True

    def release_failed_refunds(self, *, refunded_total: int) -> bool:
        """A refund failed after it succeeded: Stripe's refunded total shrank by its amount, and
        the money is the seller's (or the platform's) again. True when it shrank."""
        if refunded_total >= self.refunded_amount:
            return False
        self.refunded_amount = max(refunded_total, 0)
        if self.status in {self.Status.REFUNDED, self.Status.PARTIALLY_REFUNDED}:
            self.status = (
                self.Status.PARTIALLY_REFUNDED if self.refunded_amount else self.Status.PAID
            )
        self.money_recompute()
        return True

    def apply_refunded_total(self, *, refunded_total: int) -> bool:
        """Follow Stripe's cumulative refunded amount; True when it grew."""
        if refunded_total <= self.refunded_amount:
            return False
        self.refunded_amount = min(refunded_total, self.amount)
        if self.status in {self.Status.PAID, self.Status.PARTIALLY_REFUNDED}:
            self.status = (
                self.Status.REFUNDED
                if self.refunded_amount >= self.amount
                else self.Status.PARTIALLY_REFUNDED
            )
        elif self.status == self.Status.DISPUTED and self.refunded_amount >= self.amount:
            self.status = self.Status.REFUNDED
        self.money_recompute()
        return True


ACCESS_STATUSES = frozenset({Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED})


class PaymentFacts(Protocol):
    amount_total: int
    currency: str
    payment_intent_id: str
    charge_id: str
    application_fee_id: str
    transfer_id: str
    amount_refunded: int
    stripe_fee_amount: int
    application_fee_refunded: int
    transfer_reversed: int


class SaleTotal(models.Model):
    """Running totals of sales per seller, course, currency and charge type, for all-time views.

    A sale is an order with `paid_at` set; its amount, fee and refunded total are added here in
    the same transaction that changes them on the order (`checkout.services.sale_totals`), so
    these rows always equal the live aggregate over orders. They carry no dates: only all-time
    figures read them, which need no day boundary and so no time zone.
    `manage.py sale_totals_rebuild` recomputes them from the orders.
    """

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sale_totals"
    )
    # Empty for membership invoices: one row per seller, currency and charge type.
    course = models.ForeignKey(
        "catalog.Course",
        on_delete=models.PROTECT,
        related_name="sale_totals",
        null=True,
        blank=True,
    )
    currency = models.CharField(max_length=3)
    charge_type = models.CharField(max_length=16, choices=Order.ChargeType.choices)
    count = models.PositiveIntegerField(default=0)
    gross = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    refunds = models.BigIntegerField(default=0)
    stripe_fees = models.BigIntegerField(default=0)
    fees_returned = models.BigIntegerField(default=0)
    seller_net = models.BigIntegerField(default=0)
    platform_net = models.BigIntegerField(default=0)
    # What disputes took (amount withdrawn and not reinstated, plus Stripe's fee), by who bore it.
    seller_disputes = models.BigIntegerField(default=0)
    platform_disputes = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "course", "currency", "charge_type"], name="sale_total_key"
            ),
            # NULLs are distinct in a unique index, so membership rows need their own.
            models.UniqueConstraint(
                fields=["seller", "currency", "charge_type"],
                condition=models.Q(course__isnull=True),
                name="sale_total_membership_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} sales of course {self.course_id} in {self.currency}"


class Refund(models.Model):
    # Stripe's statuses for a refund that moved no money; "failed" is also ours when the call
    # to Stripe itself failed.
    VOID_STATUSES = ("failed", "canceled")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(max_length=24, default="pending")
    # Separate charges: the seller's share of the refund, taken back from their transfer.
    transfer_reversal_id = models.CharField(max_length=255, blank=True)
    transfer_reversal_amount = models.PositiveIntegerField(default=0)
    # Failed attempts at the reversal (the seller's balance was short); each retry by
    # `reconcile_orders` uses a new idempotency key, since Stripe replays a failed answer.
    transfer_reversal_attempts = models.PositiveIntegerField(default=0)
    failure_message = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["order", "created_at"]),
            # The platform dashboard totals refunds by the day they were made.
            models.Index(fields=["created_at"], name="refund_created"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.stripe_refund_id or self.pk} of order {self.order_id}"


class StripeCustomer(models.Model):
    """The Stripe customer a buyer became in a completed Checkout Session, reused next time.

    Customers live where the charge lives: on the platform (`stripe_account_id` "") for
    destination and separate charges, on the seller's connected account for direct charges.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stripe_customers"
    )
    stripe_account_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "stripe_account_id"], name="stripe_customer_one_per_account"
            ),
        ]

    def __str__(self) -> str:
        where = self.stripe_account_id or "the platform"
        return f"{self.customer_id} for user {self.user_id} on {where}"


class OrderEmail(models.Model):
    """One email about one order, so a retried or duplicated task never sends it twice.

    A task claims the row (`claimed_at`) before sending and sets `sent_at` after; a claim older
    than `checkout.emails.CLAIM_TIMEOUT` is considered abandoned by a crashed worker.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="emails")
    # e.g. "refund-failed-" and a Stripe refund id (27 characters): room for longer ids.
    kind = models.CharField(max_length=80)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="order_email_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email for order {self.order_id}"


class WebhookEvent(models.Model):
    """Every verified Stripe event, stored once by id; processing is recorded beside it."""

    class Endpoint(models.TextChoices):
        PLATFORM = "platform", "Platform"
        CONNECT = "connect", "Connect"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=255, blank=True)
    endpoint = models.CharField(max_length=16, choices=Endpoint.choices)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["type", "received_at"], name="webhook_type_received")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


# --- Memberships ----------------------------------------------------------------------------


class MembershipOffer(models.Model):
    """A seller's membership in one currency: a monthly (and optionally yearly) price that
    unlocks every course the seller publishes, now and later.

    Stripe prices are immutable, so a new amount gets a new Price; each membership keeps the
    price it was bought at. The Product and Prices live where the charges live: on the platform
    for destination charges, on the seller's account for direct charges (`stripe_account_id`).
    """

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="membership_offers"
    )
    currency = models.CharField(max_length=3)
    monthly_amount = models.PositiveIntegerField(help_text="Price per month, in minor units.")
    yearly_amount = models.PositiveIntegerField(
        null=True, blank=True, help_text="Price per year, in minor units; empty for none."
    )
    # The courses' rule: a percentage the platform sets (10 % unless staff change it in the
    # admin), charged by Stripe on every invoice as `application_fee_percent`.
    platform_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    is_active = models.BooleanField(default=True)
    # Where the Product and Prices below were created, and for which charge type.
    charge_type = models.CharField(max_length=16, blank=True)
    stripe_account_id = models.CharField(max_length=255, blank=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    monthly_price_id = models.CharField(max_length=255, blank=True)
    yearly_price_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "currency"], name="membership_offer_one_per_currency"
            ),
        ]

    def __str__(self) -> str:
        return f"Membership of {self.seller_id} in {self.currency}"

    def amount_for(self, interval: str) -> int | None:
        return self.monthly_amount if interval == self.Interval.MONTH else self.yearly_amount

    def price_id_for(self, interval: str) -> str:
        return self.monthly_price_id if interval == self.Interval.MONTH else self.yearly_price_id


class Membership(models.Model):
    """One buyer's subscription to one seller's membership, mirrored from Stripe's webhooks."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment failed"
        CANCELED = "canceled", "Ended"
        ABANDONED = "abandoned", "Not completed"

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="members"
    )
    offer = models.ForeignKey(MembershipOffer, on_delete=models.PROTECT, related_name="memberships")
    interval = models.CharField(max_length=8, choices=MembershipOffer.Interval.choices)
    # The price this member pays, kept when the seller changes the offer.
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    platform_fee_percent = models.DecimalField(max_digits=5, decimal_places=2)
    charge_type = models.CharField(max_length=16, choices=Order.ChargeType.choices)
    stripe_account_id = models.CharField(max_length=255, help_text="The seller's account.")
    price_id = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    subscription_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "seller", "status"], name="membership_buyer_seller"),
            models.Index(fields=["seller", "status"], name="membership_seller_status"),
        ]

    def __str__(self) -> str:
        return f"Membership {self.pk} of {self.buyer_id} with {self.seller_id} ({self.status})"


class MembershipEmail(models.Model):
    """One email about one membership (e.g. a failed renewal), sent once per kind, claimed
    like `OrderEmail`."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=80)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "kind"], name="membership_email_once_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email for membership {self.membership_id}"


class PayoutSnapshot(models.Model):
    """The last read of a seller's balance and payouts from Stripe, so the Payouts page does not
    ask Stripe on every view. `payout.*` and `balance.available` events mark it stale; the page
    re-reads a stale or old one (`checkout.services.payouts`). Paid payouts never change, so the
    sales each paid out are kept per payout id in `lines`."""

    seller = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_snapshot"
    )
    stripe_account_id = models.CharField(max_length=255)
    overview = models.JSONField(default=dict)
    lines = models.JSONField(default=dict)
    fetched_at = models.DateTimeField()
    stale = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Payouts of {self.stripe_account_id} read {self.fetched_at:%Y-%m-%d %H:%M}"
