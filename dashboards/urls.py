from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("sales/", views.sales, name="sales"),
    path("sales/export.csv", views.sales_export, name="sales-export"),
    path("sales/new/", views.sales_new, name="sales-new"),
    path("sales/<int:pk>/", views.sale_detail, name="sale-detail"),
    path("payouts/", views.payouts, name="payouts"),
    path("payouts/<str:payout_id>/", views.payout_detail, name="payout-detail"),
    path("purchases/", views.purchases, name="purchases"),
    path("purchases/<int:pk>/", views.purchase_receipt, name="purchase-receipt"),
    path("platform/", views.platform, name="platform"),
]
