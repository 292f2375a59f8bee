from django.urls import path

from . import payment_pages, views
from .views import sandbox_only

app_name = "stripe_sandbox"

urlpatterns = [
    path("", sandbox_only(views.inspector_page), name="inspector"),
    path(
        "deliveries/<int:pk>/resend/",
        sandbox_only(views.delivery_resend),
        name="delivery-resend",
    ),
    path("v1/<path:path>", sandbox_only(views.api_dispatch), name="api"),
    # The SDK's Connect base address is /stripe-sandbox, so these have no trailing slash.
    path("oauth/authorize", sandbox_only(views.oauth_authorize), name="oauth-authorize"),
    path(
        "express/oauth/authorize",
        sandbox_only(views.oauth_authorize_express),
        name="oauth-authorize-express",
    ),
    path("oauth/token", sandbox_only(views.oauth_token), name="oauth-token"),
    path("oauth/deauthorize", sandbox_only(views.oauth_deauthorize), name="oauth-deauthorize"),
    path("connect/onboarding/<str:token>/", sandbox_only(views.account_link), name="account-link"),
    path("express/<str:token>/", sandbox_only(views.express_dashboard), name="express-dashboard"),
    path(
        "accounts/<str:account_id>/request-information/",
        sandbox_only(views.account_request_information_view),
        name="account-request-information",
    ),
    path(
        "accounts/<str:account_id>/funds-available/",
        sandbox_only(views.account_funds_available_view),
        name="account-funds-available",
    ),
    path(
        "accounts/<str:account_id>/payouts/run/",
        sandbox_only(views.account_payouts_run_view),
        name="account-payouts-run",
    ),
    path(
        "pay/<str:session_id>/",
        sandbox_only(payment_pages.checkout_page),
        name="checkout-page",
    ),
    path(
        "subscriptions/<str:subscription_id>/advance/",
        sandbox_only(payment_pages.subscription_advance_view),
        name="subscription-advance",
    ),
    path(
        "charges/<str:charge_id>/dispute/",
        sandbox_only(payment_pages.charge_dispute_view),
        name="charge-dispute",
    ),
    path(
        "disputes/<str:dispute_id>/close/",
        sandbox_only(payment_pages.dispute_close_view),
        name="dispute-close",
    ),
    path(
        "pay/<str:session_id>/bank-debit/",
        sandbox_only(payment_pages.bank_debit_settle_view),
        name="bank-debit-settle",
    ),
]
