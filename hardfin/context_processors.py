from django.conf import settings
from django.contrib import admin
from django.utils.functional import SimpleLazyObject

from movements.services import PERMISSION, user_can


def capabilities(request):
    """``can``: what the navigation and the row buttons offer the signed-in user — one flag
    per movement kind (``transfer``, ``adjustment``…), plus ``view``, ``export`` and ``admin``.
    Computed only when a template reads it, so pages without navigation pay nothing."""

    def compute():
        user = request.user
        can = {kind.value: user_can(user, kind) for kind in PERMISSION}
        can["view"] = user.has_perm("inventory.view_stocklevel")
        can["export"] = user.has_perm("inventory.export_stocklevel")
        can["admin"] = admin.site.has_permission(request)
        return can

    return {"can": SimpleLazyObject(compute)}


def password_reset(request):
    """``password_reset_offered``: whether sign-in pages link to password reset (only with a
    mail server to send the link)."""
    return {"password_reset_offered": settings.HARDFIN_PASSWORD_RESET}
