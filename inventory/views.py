"""Plumbing of the pages under ``/items/<sku>/``, which the lots and movements apps serve."""

from django.db.models import Value
from django.db.models.functions import Lower
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.views import View

from hardfin.pages import StaffPageMixin
from hardfin.quantities import Quantity

from .selectors import item_suggestions, items_with_on_hand


class ItemPageMixin(StaffPageMixin):
    """The pages under ``/items/<sku>/`` (the SKU in any case); unknown SKU → 404."""

    #: The item page's tab shown as current.
    tab = ""

    @cached_property
    def item(self):
        # By LOWER(sku), which the unique index on it serves (see ``inventory.services.resolve``).
        items = items_with_on_hand().alias(key=Lower("sku"))
        return get_object_or_404(items, key=Lower(Value(self.kwargs["sku"])))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(item=self.item, on_hand=Quantity(self.item.on_hand, self.item.unit), tab=self.tab)
        return context


class ItemSuggestionsView(StaffPageMixin, View):
    """``/lookup/items/?q=LDR``: the few items a SKU picker suggests for what was typed so far
    (``inventory.selectors.item_suggestions``: bounded, never the catalog), as JSON for the
    pickers' script. The forms work without it: they suggest the same items when a SKU typed
    there is not one."""

    def get(self, request):
        items = item_suggestions(request.GET.get("q", ""))
        return JsonResponse({"items": [{"sku": item.sku, "name": item.name, "unit": item.unit} for item in items]})
