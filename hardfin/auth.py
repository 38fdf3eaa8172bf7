"""Sign-in plumbing: Django's model backend reading permissions in one query, and for the HTML
pages the address failed sign-ins are counted by, and what a
locked-out person sees. The counting itself is django-axes' (settings: AXES_*)."""

from django.conf import settings
from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.template.response import TemplateResponse


def client_address(request) -> str:
    """The address a request came from. Behind ``HARDFIN_PROXY_COUNT`` reverse proxies that
    each append to X-Forwarded-For, it is the entry the outermost of them added; entries before
    it were written by the client and are not believed. Without proxies, the connection's."""
    proxies = getattr(settings, "HARDFIN_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request, original_response=None, credentials=None):
    """The page shown instead of the sign-in form while sign-in is locked (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return TemplateResponse(
        request, "registration/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    ).render()


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend``, with a user's own and group permissions read in one query
    instead of two: every API request and page checks permissions, so this is on the hot
    path of every write. Cached on the user object for the request, as Django does."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list("content_type__app_label", "codename").distinct()
            }
        return user_obj._perm_cache
