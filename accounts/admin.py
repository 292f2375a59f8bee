from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import StripeAccount, User
from accounts.services import stripe_account_refresh, users_set_seller
from site_config.stripe_client import StripeGatewayError


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_seller", "is_staff", "date_joined"]
    list_filter = ["is_seller", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    actions = ["make_sellers", "remove_seller_rights"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name"]}),
        (
            "Roles",
            {
                "fields": [
                    "is_seller",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2", "is_seller"]}),
    ]

    @admin.action(description="Give selected users selling rights")
    def make_sellers(self, request, queryset):
        count = users_set_seller(users=queryset, is_seller=True)
        self.message_user(request, f"{count} user(s) can now sell.", messages.SUCCESS)

    @admin.action(description="Remove selling rights (courses and sales are kept)")
    def remove_seller_rights(self, request, queryset):
        count = users_set_seller(users=queryset, is_seller=False)
        self.message_user(request, f"{count} user(s) can no longer sell.", messages.SUCCESS)


@admin.register(StripeAccount)
class StripeAccountAdmin(admin.ModelAdmin):
    list_display = [
        "stripe_account_id",
        "seller",
        "account_type",
        "charges_enabled",
        "payouts_enabled",
        "details_submitted",
        "disconnected_at",
    ]
    list_filter = ["account_type", "charges_enabled", "payouts_enabled"]
    search_fields = ["stripe_account_id", "seller__email"]
    readonly_fields = ["connected_at", "updated_at"]
    actions = ["refresh_from_stripe"]

    @admin.action(description="Refresh status from Stripe")
    def refresh_from_stripe(self, request, queryset):
        refreshed = 0
        for stripe_account in queryset:
            try:
                stripe_account_refresh(stripe_account_id=stripe_account.stripe_account_id)
            except StripeGatewayError as error:
                self.message_user(
                    request,
                    f"{stripe_account.stripe_account_id}: {error.user_message}",
                    messages.ERROR,
                )
            else:
                refreshed += 1
        self.message_user(request, f"{refreshed} account(s) refreshed.", messages.SUCCESS)
