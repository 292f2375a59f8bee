from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from accounts import requirements as stripe_requirements


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person on the marketplace. Everyone can buy; `is_seller` adds the right to sell."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_seller = models.BooleanField(
        "seller",
        default=False,
        help_text="Sellers can publish courses and connect a Stripe account to get paid.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        help_text="Dates and daily sales figures are shown in this time zone.",
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def role_label(self) -> str:
        if self.is_superuser:
            return "Administrator"
        return "Seller" if self.is_seller else "Buyer"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.display_name


class StripeAccount(models.Model):
    """The Stripe account a seller is paid through, mirrored from Stripe.

    Stripe is the source of truth; these fields are a cache refreshed from the onboarding return
    URL and from `account.updated` webhooks.
    """

    class AccountType(models.TextChoices):
        STANDARD = "standard", "Standard"
        EXPRESS = "express", "Express"
        CUSTOM = "custom", "Custom"

    seller = models.OneToOneField(User, on_delete=models.PROTECT, related_name="stripe_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    account_type = models.CharField(max_length=16, choices=AccountType.choices)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({self.get_account_type_display()})"

    @property
    def is_connected(self) -> bool:
        return self.disconnected_at is None

    @property
    def can_take_charges(self) -> bool:
        return self.is_connected and self.charges_enabled

    @property
    def is_onboarding_pending(self) -> bool:
        """Connected, but Stripe has not yet accepted the details needed to take charges."""
        return self.is_connected and not (self.details_submitted and self.charges_enabled)

    @property
    def requirements_in_words(self) -> list[str]:
        """What Stripe still needs, as a seller would say it (no Stripe field names)."""
        return stripe_requirements.requirements_in_words(self.requirements_due)

    @property
    def onboards_in_app(self) -> bool:
        """Custom accounts are onboarded on the marketplace's own pages."""
        return self.account_type == self.AccountType.CUSTOM

    @property
    def has_express_dashboard(self) -> bool:
        return self.account_type == self.AccountType.EXPRESS

    @property
    def uses_account_links(self) -> bool:
        """Express accounts are onboarded through Account Links; Custom ones use them only for
        what the in-app form cannot collect; Standard accounts are set up on Stripe."""
        return self.account_type in (self.AccountType.EXPRESS, self.AccountType.CUSTOM)

    def mark_disconnected(self) -> None:
        """The platform lost access: new sales stop; courses and past sales are left alone."""
        if self.disconnected_at is None:
            self.disconnected_at = timezone.now()
            self.save(update_fields=["disconnected_at", "updated_at"])

    def sync(
        self,
        *,
        account_type: str,
        charges_enabled: bool,
        payouts_enabled: bool,
        details_submitted: bool,
        requirements_due: list[str],
    ) -> None:
        """Mirror what Stripe reports about the account."""
        self.account_type = account_type
        self.charges_enabled = charges_enabled
        self.payouts_enabled = payouts_enabled
        self.details_submitted = details_submitted
        self.requirements_due = requirements_due
        self.save(
            update_fields=[
                "account_type",
                "charges_enabled",
                "payouts_enabled",
                "details_submitted",
                "requirements_due",
                "updated_at",
            ]
        )
