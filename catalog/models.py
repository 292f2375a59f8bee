from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from catalog.money import CURRENCY_CHOICES


class Course(models.Model):
    class ChargeType(models.TextChoices):
        AUTOMATIC = "auto", "Automatic (from the seller's Stripe account type)"
        DIRECT = "direct", "Direct charge"
        DESTINATION = "destination", "Destination charge"
        SEPARATE = "separate", "Separate charge and transfer"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField()
    outline = models.TextField(
        blank=True, help_text="What the course covers, one topic per line; shown on its page."
    )
    content = models.TextField(
        blank=True, help_text="What buyers see once they own the course: lessons, links, notes."
    )
    price_amount = models.PositiveIntegerField(
        help_text="Price in the currency's minor unit (cents for USD, yen for JPY)."
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="usd")
    platform_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Share of the price the platform keeps, 0–100.",
    )
    charge_type = models.CharField(
        max_length=16, choices=ChargeType.choices, default=ChargeType.AUTOMATIC
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses"
    )
    is_published = models.BooleanField("published", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["is_published", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(platform_fee_percent__gte=0)
                & models.Q(platform_fee_percent__lte=100),
                name="course_fee_percent_0_to_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:course-detail", kwargs={"slug": self.slug})

    @property
    def outline_items(self) -> list[str]:
        """The outline's topics: its non-blank lines, trimmed."""
        return [line.strip() for line in self.outline.splitlines() if line.strip()]
