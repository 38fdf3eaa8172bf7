"""Forms of the count and reorder-point pages. They parse; ``counts.services`` records."""

from django import forms

from inventory.models import Item, Location
from inventory.services import resolve
from hardfin.errors import InvalidInput


class CountStartForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True).order_by("code"), to_field_name="code",
        label="Location", empty_label="Choose a location",
    )
    skus = forms.CharField(
        label="Only these SKUs", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: SKUs separated by spaces, commas or new lines. Leave empty to count every item "
                  "held there.",
    )
    note = forms.CharField(label="Note", required=False)

    def clean_skus(self):
        text = self.cleaned_data["skus"].replace(",", " ").split()
        if not text:
            return None
        items, errors = [], []
        for sku in text:
            try:
                items.append(resolve(Item, sku, field="skus", active_only=True))
            except InvalidInput as exc:
                errors.append(exc.message)
        if errors:
            raise forms.ValidationError(errors)
        return items


class ReorderPointForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)
    location = forms.ModelChoiceField(queryset=Location.objects.order_by("code"), to_field_name="code",
                                      label="Location", empty_label="Choose a location")
    minimum = forms.CharField(label="Minimum", widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    target = forms.CharField(label="Target", required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                             help_text="Optional: what an order brings it up to.")

    def clean_sku(self):
        try:
            return resolve(Item, self.cleaned_data["sku"], field="sku")
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
