from django.contrib import admin

from catalog.models import Course


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "seller",
        "price_amount",
        "currency",
        "platform_fee_percent",
        "is_published",
    ]
    list_filter = ["is_published", "currency", "charge_type"]
    search_fields = ["title", "seller__email"]
    prepopulated_fields = {"slug": ["title"]}
    raw_id_fields = ["seller"]
