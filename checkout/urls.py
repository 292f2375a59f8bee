from django.urls import path

from checkout import membership_views, views

app_name = "checkout"

urlpatterns = [
    path("courses/<slug:slug>/buy/", views.course_buy, name="course-buy"),
    path("success/", views.checkout_success, name="success"),
    path("orders/<int:pk>/cancelled/", views.checkout_cancelled, name="cancelled"),
    path("orders/<int:pk>/refund/", views.order_refund, name="order-refund"),
    path("webhook/", views.webhook, name="webhook"),
    path("webhook/connect/", views.webhook_connect, name="webhook-connect"),
]

# --- Memberships ---
urlpatterns += [
    path("memberships/offer/", membership_views.membership_offer, name="membership-offer"),
    path(
        "memberships/<int:pk>/subscribe/",
        membership_views.membership_subscribe,
        name="membership-subscribe",
    ),
    path("memberships/welcome/", membership_views.membership_success, name="membership-success"),
    path("memberships/<int:pk>/", membership_views.membership_courses, name="membership-courses"),
    path(
        "memberships/<int:pk>/cancel/",
        membership_views.membership_cancel,
        {"cancel": True},
        name="membership-cancel",
    ),
    path(
        "memberships/<int:pk>/card/",
        membership_views.membership_update_card,
        name="membership-update-card",
    ),
    path(
        "memberships/<int:pk>/card/done/",
        membership_views.membership_card_updated,
        name="membership-card-updated",
    ),
    path(
        "memberships/<int:pk>/resume/",
        membership_views.membership_cancel,
        {"cancel": False},
        name="membership-resume",
    ),
]
