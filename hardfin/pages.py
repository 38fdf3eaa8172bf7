"""What every staff page shares: who may see it, and the navigation entry it marks."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin

from .permissions import VIEW_INVENTORY


class StaffPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Signed in (else redirect to sign in) and allowed to view inventory (else 403)."""

    permission_required = VIEW_INVENTORY
    #: The navigation entry shown as current.
    section = "inventory"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = self.section
        return context
