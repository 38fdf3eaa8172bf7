"""Root URLs: the staff pages at /, the admin, the REST API under /api/, and /healthz."""

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("hardfin.api_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("hardfin.page_urls")),
]
