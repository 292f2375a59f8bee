"""The sandbox's state: a generic store of Stripe objects plus the bookkeeping around requests.

Every Stripe resource (account, customer, checkout.session, charge, ...) is one `SandboxObject`
row whose `data` is exactly the JSON the API returns. New resources need no new model.
"""

from django.db import models
from django.utils import timezone


class SandboxObject(models.Model):
    id = models.CharField(primary_key=True, max_length=255)
    object_type = models.CharField(max_length=64, db_index=True)
    # The connected account that owns the object ("" for the platform), as Stripe-Account scopes it.
    account = models.CharField(max_length=64, blank=True, default="", db_index=True)
    data = models.JSONField(default=dict)
    # State the API never shows (card numbers used, OAuth connection, test-clock times, ...).
    internal = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "account", "-created_at"])]

    def __str__(self) -> str:
        return self.id


class IdempotencyRecord(models.Model):
    """The first response given to an `Idempotency-Key`, replayed to later requests with it."""

    # The API key (or Stripe-Account) the key belongs to: keys are scoped per account at Stripe.
    scope = models.CharField(max_length=255)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    params_hash = models.CharField(max_length=64)
    # Null while the first request is still running (a concurrent reuse answers 409).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="sandbox_idempotency_unique")
        ]

    def __str__(self) -> str:
        return self.key


class Event(models.Model):
    id = models.CharField(primary_key=True, max_length=255)
    type = models.CharField(max_length=100, db_index=True)
    account = models.CharField(max_length=64, blank=True, default="", db_index=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class WebhookDelivery(models.Model):
    class Endpoint(models.TextChoices):
        PLATFORM = "platform", "Platform endpoint"
        CONNECT = "connect", "Connect endpoint"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.CharField(max_length=16, choices=Endpoint.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set while one worker is posting it, so two processes never deliver the same attempt.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_url = models.CharField(max_length=500, blank=True, default="")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint} ({self.status})"


class OAuthCode(models.Model):
    """A Connect OAuth authorization code: exchanged once at /oauth/token."""

    code = models.CharField(primary_key=True, max_length=255)
    client_id = models.CharField(max_length=255)
    account = models.CharField(max_length=64)
    scope = models.CharField(max_length=32, default="read_write")
    redirect_uri = models.CharField(max_length=1000, blank=True, default="")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code


class HostedLink(models.Model):
    """A single-use, expiring URL to a hosted page: account links and Express login links."""

    class Kind(models.TextChoices):
        ACCOUNT_ONBOARDING = "account_onboarding", "Account onboarding"
        ACCOUNT_UPDATE = "account_update", "Account update"
        LOGIN_LINK = "login_link", "Express dashboard login"

    token = models.CharField(primary_key=True, max_length=255)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    account = models.CharField(max_length=64)
    return_url = models.CharField(max_length=2000, blank=True, default="")
    refresh_url = models.CharField(max_length=2000, blank=True, default="")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.account}"
