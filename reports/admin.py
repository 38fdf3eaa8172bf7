"""The batch admin with its cost: the unit cost and a "Set unit cost" page for a batch whose
cost is still unknown (Managers, Accountants). The batch admin itself is lots'; it is
registered again here, extended, because setting a cost is a service of the movements app,
which lots may not import."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from hardfin.money import COST_DECIMAL_PLACES, fmt_money
from lots.admin import BatchAdmin
from lots.models import Batch
from movements.services import user_can_set_cost

from .forms import BatchCostForm

admin.site.unregister(Batch)


@admin.register(Batch)
class BatchCostAdmin(BatchAdmin):
    def cost_column(self, request):
        """The unit cost column; an unknown cost links to its page for those who may set it.
        One per request (kept on it), so the list, the fields and the read-only fields name
        the same callable."""
        if hasattr(request, "_batch_cost_column"):
            return request._batch_cost_column
        may_set = user_can_set_cost(request.user)

        @admin.display(description="Unit cost", ordering="unit_cost")
        def unit_cost(batch):
            if batch.unit_cost is not None:
                return fmt_money(batch.unit_cost, places=COST_DECIMAL_PLACES)
            if may_set:
                url = reverse("admin:lots_batch_set_cost", args=[batch.pk])
                return format_html('unknown — <a href="{}">set unit cost</a>', url)
            return "unknown"

        request._batch_cost_column = unit_cost
        return unit_cost

    def get_list_display(self, request):
        return (*super().get_list_display(request), self.cost_column(request))

    def get_fields(self, request, obj=None):
        return (*BatchAdmin.fields, self.cost_column(request))

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/set-cost/", view(self.set_cost_view), name="lots_batch_set_cost"), *super().get_urls()]

    def set_cost_view(self, request, pk):
        """Set the cost of a batch that has none (403 to those who may not, GET and POST)."""
        if not user_can_set_cost(request.user):
            raise PermissionDenied
        batch = get_object_or_404(Batch.objects.select_related("item"), pk=pk)
        form = BatchCostForm(request.POST if request.method == "POST" else None, batch=batch)
        if request.method == "POST":
            done = form.submit(request.user)
            if done is not None:
                self.message_user(request, form.success_message(done), messages.SUCCESS)
                return redirect(reverse("admin:lots_batch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Set the unit cost of {batch}",
            "form": form,
            "submit_label": "Set unit cost",
        }
        return TemplateResponse(request, "admin/movements/movement/movement_form.html", context)
