"""The accountant's forms: setting a batch's unknown cost."""

from django import forms

from hardfin.forms import ServiceForm
from movements.forms import UnitCostInput
from movements.services import batch_cost_set


class BatchCostForm(ServiceForm):
    unit_cost = UnitCostInput(required=True, help_text="What one unit of this batch cost. A cost, once set, is "
                                                       "kept for ever.")

    def __init__(self, *args, batch, **kwargs):
        self.batch = batch
        super().__init__(*args, **kwargs)

    def perform(self, user):
        return batch_cost_set(batch=self.batch, unit_cost=self.cleaned_data["unit_cost"], user=user)

    def success_message(self, batch) -> str:
        return f"Batch {batch.label} of {batch.item.sku} now costs {batch.unit_cost} a unit."
