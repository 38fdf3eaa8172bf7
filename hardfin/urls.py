"""Root URLs: the staff pages at /, the admin, the REST API under /api/, and /healthz; and the
views that answer when none of them does (JSON under /api/, pages elsewhere)."""

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("hardfin.api_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("hardfin.page_urls")),
]

handler400 = "hardfin.views.bad_request"
handler403 = "hardfin.views.permission_denied"
handler404 = "hardfin.views.page_not_found"
handler500 = "hardfin.views.server_error"
