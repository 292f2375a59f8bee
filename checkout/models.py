from django.conf import settings
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
        FAILED = "failed", "Payment failed"
        CANCELLED = "cancelled", "Cancelled"

    class ChargeType(models.TextChoices):
        DIRECT = "direct", "Direct charge"
        DESTINATION = "destination", "Destination charge"
        SEPARATE = "separate", "Separate charge and transfer"

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="orders")
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
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} — {self.course_id} for {self.buyer_id} ({self.status})"

    @property
    def net_amount(self) -> int:
        return self.amount - self.fee_amount


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(max_length=24, default="pending")
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
