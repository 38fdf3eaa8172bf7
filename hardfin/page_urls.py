"""URLs of the staff web pages, mounted at /."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="lots:inventory"), name="home"),
    # Sign in at /accounts/login/; sign out is a POST to /accounts/logout/.
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("lots.urls")),
    path("", include("movements.urls")),
]
