from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.course_list, name="course-list"),
    path("mine/", views.my_courses, name="my-courses"),
    path("new/", views.course_new, name="course-new"),
    path("new/fee-preview/", views.course_fee_preview, name="course-fee-preview"),
    path("<slug:slug>/", views.course_detail, name="course-detail"),
    path("<slug:slug>/edit/", views.course_edit, name="course-edit"),
    path("<slug:slug>/content/", views.course_content, name="course-content"),
]

# A seller's public page, under /sellers/ (see site_config/urls.py).
seller_urls = ([path("<int:pk>/", views.seller_detail, name="detail")], "sellers")
