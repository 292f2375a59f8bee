from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from catalog import views as catalog_views
from catalog.urls import seller_urls
from site_config import views as site_views

# The admin's own login form has no throttle: send it to the site's login, which counts failed
# attempts per address and per account (allauth's rate limits) and then returns to the admin.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("robots.txt", site_views.robots_txt, name="robots-txt"),
    path("", catalog_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("courses/", include("catalog.urls")),
    path("sellers/", include(seller_urls)),
    path("checkout/", include("checkout.urls")),
    path("dashboard/", include("dashboards.urls")),
]

if settings.STRIPE_SANDBOX_ENABLED:
    urlpatterns.append(path("stripe-sandbox/", include("stripe_sandbox.urls")))
