from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("connect/card/", views.connect_card, name="connect-card"),
    path("connect/authorize/", views.connect_authorize, name="connect-authorize"),
    path("connect/oauth/callback/", views.connect_oauth_callback, name="connect-oauth-callback"),
    path("connect/onboard/", views.connect_onboard, name="connect-onboard"),
    path("connect/onboarding/return/", views.connect_return, name="connect-return"),
    path("connect/onboarding/refresh/", views.connect_refresh, name="connect-refresh"),
    path("connect/custom/", views.custom_onboarding, name="custom-onboarding"),
    path(
        "connect/custom/bank-account/",
        views.custom_bank_account,
        name="custom-bank-account",
    ),
    path(
        "connect/custom/<slug:step>/",
        views.custom_onboarding_step,
        name="custom-onboarding-step",
    ),
    path("connect/dashboard/", views.connect_dashboard, name="connect-dashboard"),
    path("connect/disconnect/", views.connect_disconnect, name="connect-disconnect"),
]
