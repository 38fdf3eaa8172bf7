"""The import-export base classes of every resource in the product (django-import-export).

``HardfinResource`` exports escape text cells with ``hardfin.csv.escape_cell`` and its imports
are all-or-nothing; ``KeyedResource`` matches rows on a natural key; ``ExportOnlyResource`` is
for what only the movement services write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from import_export.resources import Diff

from .csv import escape_cell, import_cell
from .db import prepared_insert
from .errors import ConflictError, InvalidInput
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


#: Rows of an import preview shown with their changes (every row is checked and counted; every
#: problem is listed).
PREVIEW_ROWS = 500
#: Rows of an import written per statement, and keys looked up per query.
IMPORT_BATCH_SIZE = 1000


#: Parameters a statement may carry: SQLite 3.32 and later take 32,766, PostgreSQL 65,535.
MAX_PARAMS = 30_000


def batched(values: Iterable, size: int) -> Iterator[list]:
    values = iter(values)
    while chunk := list(islice(values, size)):
        yield chunk


class KeyedInstanceLoader(BaseInstanceLoader):
    """Each row's record from what ``KeyedResource.before_import`` loaded for the whole file,
    so finding them costs a query per batch of keys, not one per row."""

    def get_instance(self, row):
        return self.resource.existing_record(row)


class RowDiff(Diff):
    """A row's changes for the preview, from the values before and after the row."""

    def __init__(self, left, right, new):
        self.left, self.right, self.new = left, right, new


def update_in_bulk(model, instances: Sequence, fields: Sequence[str], *, using: str, batch_size: int) -> None:
    """Save ``fields`` of ``instances`` in one ``UPDATE … FROM (VALUES …)`` per batch: Django's
    ``bulk_update`` builds a CASE per field and row, which takes many seconds of Python for
    thousands of rows. PostgreSQL and SQLite (3.33 and later) both name the columns of a VALUES
    list ``column1``, ``column2``, …"""
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(column.column)} = v.column{index}" for index, column in enumerate(columns, start=2))
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    batch_size = max(1, min(batch_size, MAX_PARAMS // (len(columns) + 1)))
    with connection.cursor() as cursor:
        for chunk in batched(instances, batch_size):
            params = []
            for instance in chunk:
                params.append(pk.get_db_prep_value(instance.pk, connection))
                params += [column.get_db_prep_save(getattr(instance, column.attname), connection) for column in columns]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(chunk))}) AS v "
                f"WHERE {table}.{quote(pk.column)} = v.column1",
                params,
            )


def insert_in_bulk(model, instances: Sequence, *, using: str, batch_size: int, returning: str | None = None) -> dict:
    """Insert ``instances`` with one multi-row ``INSERT`` per batch, their values prepared by
    their fields as ``save`` prepares them (``auto_now_add`` included), without the per-value
    work of Django's ``bulk_create`` compiler (seconds for thousands of rows). With
    ``returning`` (a unique column), returns ``{that column's value: new id}``."""
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    tail = f" RETURNING {quote(returning)}, {quote(model._meta.pk.column)}" if returning else ""
    ids = {}
    batch_size = max(1, min(batch_size, MAX_PARAMS // len(model._meta.concrete_fields)))
    with connection.cursor() as cursor:
        for chunk in batched(instances, batch_size):
            names, rows, params = prepared_insert(model, chunk, connection)
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {rows}{tail}", params)
            if returning:
                ids.update(cursor.fetchall())
    return ids


def can_insert_in_bulk(connection) -> bool:
    """PostgreSQL, or SQLite 3.35 or later (INSERT … RETURNING)."""
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 35)
    )


def can_update_in_bulk(connection) -> bool:
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 33)
    )


class KeyedResource(HardfinResource):
    """Rows keyed on ``key``, matched exactly as written: an existing key updates that record,
    a new one creates it. A blank key, or a key that appears twice in the file (ignoring
    case), is a row error.

    Imports are bulk: the records the file names are loaded (and locked, for the updates) in a
    query per ``IMPORT_BATCH_SIZE`` keys before the first row, and written with one
    ``bulk_create`` / ``bulk_update`` per batch, so a file's queries grow by batches, not by
    rows. Subclasses check each row as the services would (``validate_instance``) without
    querying per row."""

    key = "code"

    class Meta:
        skip_unchanged = True
        report_skipped = True
        use_bulk = True
        batch_size = IMPORT_BATCH_SIZE
        instance_loader_class = KeyedInstanceLoader
        # Changes are worked out without copying each record (see ``after_init_instance``).
        skip_diff = True

    def before_import(self, dataset, **kwargs):
        self._first_row_of_key: dict[str, int] = {}
        self._import_fields = self.get_import_fields()
        keys = set()
        if self.key in (dataset.headers or ()):
            for value in dataset[self.key]:
                try:
                    key = self.fields[self.key].clean({self.key: value})
                except ValueError:  # a NUL character: before_import_row reports it
                    continue
                if key:
                    keys.add(key)
        self._existing: dict[str, object] = {}
        #: Stored keys by their lower case, for "exists ignoring case".
        self._taken: dict[str, str] = {}
        found = self.load_records(keys)
        for record in found:
            stored = getattr(record, self.key)
            self._taken[stored.lower()] = stored
            if stored in keys:
                self._existing[stored] = record
        self.after_load_records(list(self._existing.values()), dataset)

    def import_queryset(self) -> QuerySet:
        """The records an import may update (plain rows, not an export's annotations)."""
        return self._meta.model._default_manager.all()

    def load_records(self, keys: set[str]) -> list:
        """The records whose key matches one of ``keys`` ignoring case, in a query per batch;
        those matching exactly (the ones rows update) are read again under a row lock, in id
        order, so the check and the write see them as they are and two imports (or an import
        and a receipt, which lock in id order too) cannot deadlock."""
        # Stored keys are ASCII (letters, digits and ``.-_``); a key with other characters
        # matches none, whatever a database's case folding makes of it.
        lowered = sorted({key.lower() for key in keys if key.isascii()})
        found = []
        for chunk in batched(lowered, IMPORT_BATCH_SIZE):
            found += self.import_queryset().alias(_key_ci=Lower(self.key)).filter(_key_ci__in=chunk).only("pk", self.key)
        exact = {record.pk for record in found if getattr(record, self.key) in keys}
        locked = {}
        for chunk in batched(sorted(exact), IMPORT_BATCH_SIZE):
            rows = self.import_queryset().select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk")
            locked.update((record.pk, record) for record in rows)
        # An exact match deleted before its lock is no longer there: its row creates it anew.
        return [locked.get(record.pk, record) for record in found if record.pk in locked or record.pk not in exact]

    def after_load_records(self, records: Sequence, dataset) -> None:
        """Load what checking the rows of ``records`` needs, for all of them at once."""

    def existing_record(self, row):
        try:
            key = self.fields[self.key].clean(row)
        except ValueError:
            return None
        return self._existing.get(key)

    def key_taken(self, key: str) -> str | None:
        """The stored key equal to ``key`` ignoring case, if any."""
        return self._taken.get(key.lower()) if key.isascii() else None

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

    # --- what changes: skipping unchanged rows, and the preview's diffs ---------------------------
    # django-import-export deep-copies every row's record to compare it and to show the change;
    # here a row's import fields are read before and after instead, and shown only for the
    # preview's first ``PREVIEW_ROWS`` rows.

    def after_init_instance(self, instance, new, row, **kwargs):
        self._instance = instance
        self._before = [field.get_value(instance) for field in self._import_fields]
        self._before_shown = None
        if kwargs.get("dry_run") and (kwargs.get("row_number") or 0) <= PREVIEW_ROWS:
            self._before_shown = [field.export(instance) for field in self._import_fields]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        return [field.get_value(instance) for field in self._import_fields] == self._before

    def after_import_row(self, row, row_result, **kwargs):
        if self._before_shown is not None:
            after = [field.export(self._instance) for field in self._import_fields]
            row_result.diff = RowDiff(self._before_shown, after, new=row_result.is_new()).as_html()

    # --- bulk writes ---------------------------------------------------------------------------

    #: What a failed bulk write says (a unique key, ignoring case, taken since the rows were
    #: checked: someone created the same record meanwhile).
    WRITE_CONFLICT = (
        "Someone saved one of these records while the file was being imported; nothing was "
        "imported. Check the file again."
    )

    def _bulk_write(self, write, result) -> None:
        try:
            with transaction.atomic(using=self.get_db_connection_name()):
                write()
        except IntegrityError:
            if result is not None:
                result.append_base_error(self.get_error_result_class()(ConflictError(self.WRITE_CONFLICT)))

    # The preview (a dry run) checks every row and writes nothing; the confirmation checks
    # them again and writes them, a batch per statement.

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances = list(self.create_instances)
        self.create_instances.clear()
        if not instances or dry_run:
            return
        using = self.get_db_connection_name()
        if can_insert_in_bulk(connections[using]):
            self._bulk_write(lambda: self._insert(instances, using, batch_size or IMPORT_BATCH_SIZE), result)
        else:
            self._bulk_write(lambda: self._meta.model.objects.bulk_create(instances, batch_size=batch_size), result)

    def _insert(self, instances, using, batch_size):
        ids = insert_in_bulk(self._meta.model, instances, using=using, batch_size=batch_size, returning=self.key)
        for instance in instances:
            instance.pk = ids[getattr(instance, self.key)]
            instance._state.adding = False
            instance._state.db = using

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances = list(self.update_instances)
        self.update_instances.clear()
        if not instances or dry_run:
            return
        fields = self.get_bulk_update_fields()
        using = self.get_db_connection_name()
        if can_update_in_bulk(connections[using]):
            write = lambda: update_in_bulk(  # noqa: E731
                self._meta.model, instances, fields, using=using, batch_size=batch_size or IMPORT_BATCH_SIZE)
        else:
            write = lambda: self._meta.model.objects.bulk_update(instances, fields, batch_size=batch_size)  # noqa: E731
        self._bulk_write(write, result)
