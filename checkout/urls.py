from django.urls import path

from checkout import views

app_name = "checkout"

urlpatterns = [
    path("courses/<slug:slug>/buy/", views.course_buy, name="course-buy"),
    path("success/", views.checkout_success, name="success"),
    path("orders/<int:pk>/cancelled/", views.checkout_cancelled, name="cancelled"),
    path("orders/<int:pk>/refund/", views.order_refund, name="order-refund"),
    path("webhook/", views.webhook, name="webhook"),
    path("webhook/connect/", views.webhook_connect, name="webhook-connect"),
]
