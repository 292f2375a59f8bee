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
    path("connect/dashboard/", views.connect_dashboard, name="connect-dashboard"),
    path("connect/disconnect/", views.connect_disconnect, name="connect-disconnect"),
]
