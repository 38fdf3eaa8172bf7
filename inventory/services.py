"""Writes on the catalog (items, locations, suppliers, adjustment reasons), and the checks
every movement service shares (active records, resolving keys)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Value
from django.db.models.functions import Lower

from hardfin.errors import (
    ConflictError,
    HasHistory,
    InactiveObject,
    InvalidInput,
    UnknownObject,
)
from hardfin.identifiers import has_nul

from .models import Item, Location, StockLevel, Supplier

# --- catalog --------------------------------------------------------------------------------

def _clean(instance: models.Model) -> None:
    """Run the model's own validation and turn Django's error into a domain error."""
    try:
        # Unique keys are checked (ignoring case, with a clear message) by the callers and,
        # finally, by the database.
        instance.full_clean(validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        field = None if field == "__all__" else field
        raise InvalidInput(" ".join(messages), field=field) from None


def key_field(model) -> str:
    """The natural key of a catalog model: ``sku`` for items, ``code`` for the others
    (locations, suppliers, adjustment reasons)."""
    return "sku" if model is Item else "code"


def _editable_fields(model) -> set[str]:
    key = key_field(model)
    return {f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key and f.name != key}


def _check_code_free(model, field: str, value: str, *, exclude_pk=None) -> None:
    clash = model.objects.filter(**{f"{field}__iexact": value})
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        label = "SKU" if field == "sku" else "code"
        raise InvalidInput(f"{model._meta.verbose_name.capitalize()} with {label} {value!r} already exists.", field=field)


def catalog_create(model, **fields):
    """Create a record of a catalog model (items, locations, suppliers, adjustment reasons)
    after the checks every door shares: a key unique ignoring case, the model's validation."""
    instance = model(**fields)
    key = key_field(model)
    setattr(instance, key, getattr(instance, key).strip())
    _check_code_free(model, key, getattr(instance, key))
    _clean(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        # Someone created the same key (in another case) between the check and the insert.
        raise InvalidInput(
            f"{model._meta.verbose_name.capitalize()} with {'SKU' if key == 'sku' else 'code'} "
            f"{getattr(instance, key)!r} already exists.",
            field=key,
        ) from None
    return instance


@transaction.atomic
def item_create(*, sku: str, name: str, description: str = "", unit: str = "ea", fractional: bool = False,
                is_active: bool = True) -> Item:
    return catalog_create(Item, sku=sku, name=name, description=description, unit=unit or "ea",
                           fractional=fractional, is_active=is_active)


@transaction.atomic
def location_create(*, code: str, name: str, is_active: bool = True) -> Location:
    return catalog_create(Location, code=code, name=name, is_active=is_active)


@transaction.atomic
def supplier_create(*, code: str, name: str, is_active: bool = True) -> Supplier:
    return catalog_create(Supplier, code=code, name=name, is_active=is_active)


@transaction.atomic
def catalog_update(*, instance, **changes):
    """Change any field of a catalog record except its key (sku / code)."""
    model = type(instance)
    key = key_field(model)
    if key in changes and str(changes[key]).strip().lower() != getattr(instance, key).lower():
        raise InvalidInput(f"The {key} cannot be changed; create a new record instead.", field=key)
    changes.pop(key, None)
    unknown = set(changes) - _editable_fields(model)
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    # Lock the row (FOR NO KEY UPDATE, like receipts taking a batch number) so two edits of
    # one record cannot interleave.
    locked = model.objects.select_for_update(no_key=True).get(pk=instance.pk)
    if model is Item and locked.fractional and changes.get("fractional") is False:
        # Wait for every write holding one of the item's stock levels (step 2 of the locking
        # protocol, after the item row) and hold them until this commits: a write that
        # started before sees its fraction counted below, one that starts later reads the
        # flag under its own level lock.
        list(StockLevel.objects.select_for_update().filter(item=locked).order_by("location_id").values_list("pk"))
        _check_whole_units(locked)
    for field, value in changes.items():
        setattr(locked, field, value)
    _clean(locked)
    locked.save(update_fields=[*changes] if changes else None)
    return locked


def _check_whole_units(item: Item) -> None:
    """An item may become whole-units only while every lot and open shortfall of it is whole;
    otherwise the fraction could never leave by any movement."""
    quantities = [
        *item.lots.filter(quantity__gt=0).values_list("quantity", flat=True),
        *item.shortfalls.filter(outstanding__gt=0).values_list("outstanding", flat=True),
    ]
    if any(quantity != quantity.to_integral_value() for quantity in quantities):
        raise ConflictError(
            f"{item.sku} still has fractional quantities in stock; move or adjust them to whole "
            "units before making it a whole-unit item.",
            field="fractional",
        )


@transaction.atomic
def catalog_delete(*, instance) -> None:
    """Delete a catalog record nothing refers to; otherwise it must be deactivated."""
    try:
        with transaction.atomic():
            # The row lock waits for any write that is recording the record's first movement
            # (it holds the item FOR NO KEY UPDATE or a key-share lock), so what that write
            # recorded is seen below as history rather than failing the delete.
            list(type(instance).objects.select_for_update().filter(pk=instance.pk).values_list("pk"))
            # Empty stock-level rows are bookkeeping, not history.
            if isinstance(instance, Item):
                StockLevel.objects.filter(item=instance, quantity=0).delete()
            elif isinstance(instance, Location):
                StockLevel.objects.filter(location=instance, quantity=0).delete()
            instance.delete()
    except (models.ProtectedError, IntegrityError):
        raise HasHistory(
            f"{instance._meta.verbose_name.capitalize()} {getattr(instance, key_field(type(instance)))} "
            "has history and cannot be deleted; deactivate it instead."
        ) from None


# --- checks shared by movement services --------------------------------------------------------

def require_active(obj: Item | Location | Supplier, *, field: str) -> None:
    if not obj.is_active:
        kind = obj._meta.verbose_name
        key = getattr(obj, key_field(type(obj)))
        raise InactiveObject(f"The {kind} {key} is inactive and cannot take part in new movements.", field=field)


def resolve(model, key: str, *, field: str, active_only: bool = False):
    """Look up an item by SKU or a location/supplier by code, ignoring case."""
    key = (key or "").strip()
    try:
        if has_nul(key):  # no key holds one, and PostgreSQL refuses it in a query
            raise model.DoesNotExist
        # LOWER(key) = LOWER(%s), which the unique index on LOWER(key) serves: ``__iexact``
        # compares UPPER() on PostgreSQL, which only the SKU's trigram index serves (~5 ms at
        # 200,000 items).
        obj = model.objects.alias(key=Lower(key_field(model))).get(key=Lower(Value(key)))
    except model.DoesNotExist:
        raise UnknownObject(f"No {model._meta.verbose_name} {key!r}.", field=field) from None
    if active_only:
        require_active(obj, field=field)
    return obj
