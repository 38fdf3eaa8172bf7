"""URLs of the staff web pages, mounted at /."""

import functools

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.urls import include, path
from django.views.generic import RedirectView

from . import job_views


def offered_with_email(view):
    """Password reset mails a link: without a mail server (EMAIL_HOST) its pages do not exist,
    rather than saying a mail was sent that never will be."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.HARDFIN_PASSWORD_RESET:
            raise Http404("Password reset is not offered: no mail server is configured.")
        return view(request, *args, **kwargs)

    return wrapper


# django.contrib.auth.urls, with password reset only when email is configured.
accounts = [
    # Sign in at /accounts/login/; sign out is a POST to /accounts/logout/.
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", offered_with_email(auth_views.PasswordResetView.as_view()), name="password_reset"),
    path("password_reset/done/", offered_with_email(auth_views.PasswordResetDoneView.as_view()),
         name="password_reset_done"),
    path("reset/<uidb64>/<token>/", offered_with_email(auth_views.PasswordResetConfirmView.as_view()),
         name="password_reset_confirm"),
    path("reset/done/", offered_with_email(auth_views.PasswordResetCompleteView.as_view()),
         name="password_reset_complete"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="lots:inventory"), name="home"),
    path("accounts/", include(accounts)),
    path("jobs/<int:pk>/", job_views.job_page, name="job"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job-download"),
    # First: it answers ?as_of= on the inventory pages and hands the rest to counts' (below_minimum),
    # which hand the rest to lots' pages.
    path("", include("reports.urls")),
    path("", include("counts.urls")),
    path("", include("lots.urls")),
    path("", include("movements.urls")),
    path("", include("inventory.urls")),
]
