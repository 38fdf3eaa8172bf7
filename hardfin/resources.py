"""The import-export base classes of every resource in the product (django-import-export).

``HardfinResource`` exports escape text cells with ``hardfin.csv.escape_cell`` and its imports
are all-or-nothing; ``KeyedResource`` matches rows on a natural key; ``ExportOnlyResource`` is
for what only the movement services write.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from import_export import fields, resources, widgets

from .csv import escape_cell, import_cell
from .errors import InvalidInput
from .quantities import fmt


def adopt(target, saved) -> None:
    """Give ``target`` (the admin's or an import's instance) the state of ``saved``, the
    instance a service wrote, so the caller carries on with a saved object."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# --- widgets ------------------------------------------------------------------------------------

class TextWidget(widgets.CharWidget):
    """Text without surrounding spaces (and never a NUL character). A blank cell is ``""``, or
    None (keep the current value) when ``allow_blank`` is False."""

    def clean(self, value, row=None, **kwargs):
        text = import_cell(value)
        if not text and not self.allow_blank:
            return None
        return text


class FlagWidget(widgets.BooleanWidget):
    """true/false, yes/no or 1/0; a blank cell keeps the current value (the default for a new
    record). Anything else is an error, never silently false."""

    TRUE_WORDS = {"1", "true", "yes", "y"}
    FALSE_WORDS = {"0", "false", "no", "n"}

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if not word:
            return None
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        raise ValueError(f"{value!r} is not true or false.")

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type") or value is None:
            return value
        return "true" if value else "false"


class QuantityWidget(widgets.DecimalWidget):
    """Exact quantities written as people write them (``155``, ``2.5``)."""

    def render(self, value, obj=None, **kwargs):
        if value is None or kwargs.get("force_native_type"):
            return value
        return fmt(value)


class MomentWidget(widgets.DateTimeWidget):
    """Date-times as ISO 8601 text in the site's time zone (``2024-05-01T10:00:00+00:00``), in
    every format, so an export says exactly which moment it means."""

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return timezone.localtime(value).isoformat(timespec="seconds")


class MoneyWidget(widgets.DecimalWidget):
    """A unit cost (4 places) or a value (rounded half-up to cents); empty when unknown."""

    def __init__(self, *, places: int = 2, **kwargs):
        self.places = places
        super().__init__(**kwargs)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None if kwargs.get("force_native_type") else ""
        value = Decimal(value).quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)
        return value if kwargs.get("force_native_type") else f"{value:.{self.places}f}"


def money_field(name: str, *, attribute: str | None = None, places: int = 2):
    return fields.Field(attribute=attribute or name, column_name=name, widget=MoneyWidget(places=places),
                        readonly=True)


def text_field(name: str, *, keep_when_blank: bool = False, attribute: str | None = None, readonly=False):
    return fields.Field(
        attribute=attribute or name,
        column_name=name,
        widget=TextWidget(allow_blank=not keep_when_blank),
        saves_null_values=not keep_when_blank,
        readonly=readonly,
    )


def flag_field(name: str, **kwargs):
    return fields.Field(attribute=name, column_name=name, widget=FlagWidget(), saves_null_values=False, **kwargs)


def quantity_field(name: str, *, attribute: str | None = None):
    return fields.Field(attribute=attribute or name, column_name=name, widget=QuantityWidget(), readonly=True)


def moment_field(name: str, *, attribute: str | None = None):
    return fields.Field(attribute=attribute or name, column_name=name, widget=MomentWidget(), readonly=True)


# --- resources ----------------------------------------------------------------------------------

class HardfinResource(resources.ModelResource):
    """Exports escape text cells against formula injection (numbers stay numbers); imports
    save nothing unless every row is valid."""

    def iter_queryset(self, queryset):
        """Rows in chunks of ``IMPORT_EXPORT_CHUNK_SIZE``, read from the database as they are
        written out. What rows need beyond their own columns is loaded per chunk by
        ``prepare_export_chunk`` rather than by ``prefetch_related``, whose caches tie rows
        into reference cycles that linger until the garbage collector runs."""
        size = self.get_chunk_size()
        rows = queryset.iterator(chunk_size=size) if isinstance(queryset, QuerySet) else iter(queryset)
        while chunk := list(islice(rows, size)):
            self.prepare_export_chunk(chunk)
            yield from chunk

    def prepare_export_chunk(self, instances: list) -> None:
        """Load what the next ``instances`` need for their export, in one query."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and not isinstance(field.widget, widgets.NumberWidget):
            return escape_cell(value)
        return value

    def get_import_fields(self):
        # Read-only columns (an item's on_hand) are exported for reading; imports ignore them.
        return [field for field in super().get_import_fields() if not field.readonly]

    def import_data(self, dataset, **kwargs):
        # django-import-export keeps the valid rows of a confirmed import when others fail
        # validation, unless told otherwise; an import here is one all-or-nothing change.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)


class ExportOnlyResource(HardfinResource):
    """For lots, batches and the ledger, which only the movement services write."""

    def import_data(self, dataset, **kwargs):
        raise InvalidInput(
            f"{self._meta.model._meta.verbose_name_plural.capitalize()} are export-only: only the movement "
            "services write them."
        )


class KeyedResource(HardfinResource):
    """Rows keyed on ``key``, matched exactly as written: an existing key updates that record,
    a new one creates it. A blank key, or a key that appears twice in the file (ignoring
    case), is a row error."""

    key = "code"

    class Meta:
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        self._first_row_of_key: dict[str, int] = {}

    def before_import_row(self, row, row_number=None, **kwargs):
        try:
            key = self.fields[self.key].clean(row) if self.key in row else None
        except ValueError as error:  # a key no record can have (a NUL character in it)
            raise ValidationError({self.key: str(error)}) from None
        if not key:
            raise ValidationError({self.key: "This field cannot be blank."})
        first = self._first_row_of_key.setdefault(key.lower(), row_number)
        if first != row_number:
            raise ValidationError({self.key: f"{key} appears more than once in this file (first on row {first})."})
