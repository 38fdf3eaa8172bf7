"""Forms plumbing shared by the staff pages and the admin: the one place where domain errors
become form errors.

A form that records something subclasses ``ServiceForm`` and implements ``perform(user)``,
which calls a service. ``submit(user)`` validates, performs and returns what the service
recorded, or puts the service's error next to the field it is about and returns None.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from hardfin.errors import InventoryError


def validation_error(exc: InventoryError) -> ValidationError:
    """A domain error as a Django ValidationError (for a form field's ``clean``)."""
    return ValidationError(exc.message, code=exc.code)


def add_domain_error(form: forms.BaseForm, exc: InventoryError) -> None:
    """Show ``exc`` next to the field it names, or above the form when the form has no such
    field (permission, busy database, errors about the whole request); an error about one
    line of a receipt or build that lands there says which line."""
    field = exc.field if exc.field in form.fields else None
    if field is None and exc.line is not None:
        form.add_error(None, ValidationError(f"Line {exc.line + 1} ({exc.sku}): {exc.message}", code=exc.code))
    else:
        form.add_error(field, validation_error(exc))


class ServiceForm(forms.Form):
    """A form whose valid data goes to one service call: subclasses define ``perform(user)``,
    which calls the service with ``self.cleaned_data`` and returns what it recorded."""

    error_css_class = "has-error"
    required_css_class = "required"

    def place_error(self, exc: InventoryError) -> None:
        """Where a service error is shown; forms with lines override this."""
        add_domain_error(self, exc)

    def submit(self, user):
        """Record the form's data as ``user``: the service's result, or None with the
        errors on the form (and nothing recorded, since every service is one transaction)."""
        if not self.is_valid():
            return None
        try:
            return self.perform(user)
        except InventoryError as exc:
            self.place_error(exc)
            return None


class QuantityInput(forms.CharField):
    """Kept as the exact text typed: the services read it as a decimal and say what is wrong
    with it (too many decimals, fractional for a whole-unit item…)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "class": "quantity"})
