"""Plumbing of the pages under ``/items/<sku>/``, which the lots and movements apps serve."""

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property

from hardfin.pages import StaffPageMixin
from hardfin.quantities import Quantity

from .selectors import items_with_on_hand


class ItemPageMixin(StaffPageMixin):
    """The pages under ``/items/<sku>/`` (the SKU in any case); unknown SKU → 404."""

    #: The item page's tab shown as current.
    tab = ""

    @cached_property
    def item(self):
        return get_object_or_404(items_with_on_hand(), sku__iexact=self.kwargs["sku"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(item=self.item, on_hand=Quantity(self.item.on_hand, self.item.unit), tab=self.tab)
        return context
