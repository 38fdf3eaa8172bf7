"""What the navigation and the row buttons of every staff page offer the signed-in user."""

from django.contrib import admin
from django.utils.functional import SimpleLazyObject

from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY

from .models import AdjustmentReason
from .services import PERMISSION, user_can


def capabilities(request):
    """``can``: what the navigation and the row buttons offer the signed-in user — one flag
    per movement kind (``transfer``, ``adjustment``…), plus ``view``, ``export`` and ``admin``.
    Computed only when a template reads it, so pages without navigation pay nothing."""

    def compute():
        user = request.user
        can = {kind.value: user_can(user, kind) for kind in PERMISSION}
        can["view"] = user.has_perm(VIEW_INVENTORY)
        can["export"] = user.has_perm(EXPORT_INVENTORY)
        can["admin"] = admin.site.has_permission(request)
        return can

    return {"can": SimpleLazyObject(compute), "reason_labels": SimpleLazyObject(reason_labels)}


def reason_labels() -> dict[str, str]:
    """Adjustment reasons, code → label (a handful of rows), read once per page that shows
    one: a batch made by an adjustment keeps the reason's code as its reference."""
    return dict(AdjustmentReason.objects.values_list("code", "label"))
