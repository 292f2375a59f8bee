from django.contrib import admin, messages

from checkout.models import (
    Membership,
    MembershipOffer,
    Order,
    OrderEmail,
    Refund,
    StripeCustomer,
    WebhookEvent,
)
from checkout.services.webhook_handlers import webhook_event_process


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["created_at", "amount", "currency", "status", "stripe_refund_id", "requested_by"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "course",
        "buyer",
        "seller",
        "status",
        "charge_type",
        "amount",
        "currency",
    ]
    list_filter = ["status", "charge_type", "currency"]
    search_fields = [
        "buyer__email",
        "seller__email",
        "course__title",
        "checkout_session_id",
        "payment_intent_id",
        "charge_id",
    ]
    raw_id_fields = ["buyer", "seller", "course"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]

    # Orders mirror Stripe; changing one by hand would make them disagree.
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "endpoint", "account", "received_at", "processed_at"]
    list_filter = ["endpoint", "type", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id", "type", "account"]
    actions = ["reprocess"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reprocess the selected events")
    def reprocess(self, request, queryset):
        done = failed = 0
        for record in queryset:
            try:
                webhook_event_process(record=record)
            except Exception as error:  # shown to the admin; also stored on the event
                failed += 1
                self.message_user(request, f"{record.event_id}: {error}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"Reprocessed {done} event(s).", messages.SUCCESS)


@admin.register(StripeCustomer)
class StripeCustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "user", "stripe_account_id", "created_at"]
    search_fields = ["customer_id", "user__email", "stripe_account_id"]
    raw_id_fields = ["user"]


@admin.register(OrderEmail)
class OrderEmailAdmin(admin.ModelAdmin):
    list_display = ["order", "kind", "sent_at", "attempts"]
    list_filter = ["kind"]
    raw_id_fields = ["order"]
    readonly_fields = ["order", "kind", "claimed_at", "sent_at", "attempts", "last_error"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["stripe_refund_id", "order", "amount", "currency", "status", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["stripe_refund_id", "order__buyer__email", "transfer_reversal_id"]
    raw_id_fields = ["order", "requested_by"]

    # Refunds are made on the sale's refund page, which talks to Stripe; here they are only shown.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Memberships ---


@admin.register(MembershipOffer)
class MembershipOfferAdmin(admin.ModelAdmin):
    """Staff set the platform fee here, as for courses; prices are changed by the seller."""

    list_display = ["seller", "currency", "monthly_amount", "yearly_amount", "platform_fee_percent"]
    list_filter = ["currency", "is_active"]
    search_fields = ["seller__email"]
    raw_id_fields = ["seller"]
    fields = [
        "seller",
        "currency",
        "monthly_amount",
        "yearly_amount",
        "platform_fee_percent",
        "is_active",
        "charge_type",
        "stripe_account_id",
        "stripe_product_id",
        "monthly_price_id",
        "yearly_price_id",
    ]
    readonly_fields = [
        "seller",
        "currency",
        "monthly_amount",
        "yearly_amount",
        "is_active",
        "charge_type",
        "stripe_account_id",
        "stripe_product_id",
        "monthly_price_id",
        "yearly_price_id",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Memberships mirror Stripe's subscriptions: read-only here."""

    list_display = ["pk", "buyer", "seller", "status", "amount", "currency", "current_period_end"]
    list_filter = ["status", "currency", "charge_type"]
    search_fields = ["buyer__email", "seller__email", "subscription_id", "checkout_session_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
