"""Back office for the ledger: movements and shortfalls read-only (with filters and CSV
export), adjustment reasons, and pages that record transfers, adjustments and opening balances
through the same forms and services as the staff pages."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from import_export import fields

from hardfin.admin import (
    DateRangeFilter,
    ExportAdminMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    SkuFilter,
)
from hardfin import jobs
from hardfin.errors import InventoryError
from hardfin.forms import add_domain_error
from hardfin.money import COST_DECIMAL_PLACES, currency, exact_value, fmt_money, round_value
from hardfin.quantities import fmt
from inventory.admin import CatalogAdmin
from inventory.models import Location

from .display_rows import kind_label, reference_text, signed_quantity
from .forms import AdjustmentForm, TransferForm
from .imports import (
    OPENING_PO_NUMBER,
    OPENING_REASON,
    AlreadyImported,
    OpeningBalancesInvalid,
    may_import_opening_balances,
    opening_balances_check,
    opening_balances_import,
    opening_balances_read,
)
from .models import AdjustmentReason, Movement, MovementLine, Shortfall
from .resources import AdjustmentReasonResource, MovementResource, ShortfallResource
from .services import reason_create, user_can

Kind = Movement.Kind
#: Rows listed in the opening-balances preview (all of them are checked and imported).
PREVIEW_ROWS = 500


class LocationEitherSideFilter(admin.SimpleListFilter):
    """Movements from or to a location, like the API's ``location`` filter."""

    title = "location (from or to)"
    parameter_name = "location"

    def lookups(self, request, model_admin):
        return [(location.code, f"{location.name} ({location.code})") for location in Location.objects.order_by("code")]

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        return queryset.filter(Q(from_location__code__iexact=code) | Q(to_location__code__iexact=code))


class MovementLineInline(ReadOnlyInline):
    model = MovementLine
    fields = ("batch_label", "from_location", "to_location", "quantity_display")
    readonly_fields = fields
    verbose_name_plural = "lines (one per batch moved)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("batch", "from_location", "to_location").order_by("id")

    @admin.display(description="Batch")
    def batch_label(self, line):
        return line.batch.label

    @admin.display(description="Quantity")
    def quantity_display(self, line):
        return fmt(line.quantity)


class MovementExportResource(MovementResource):
    """The ledger's CSV from the admin: ``MovementResource`` with the direction of each
    adjustment (``up``/``down``; blank for other kinds) beside its unsigned quantity, so a
    spreadsheet can tell +5 from -5. Codes, not labels, as in the API (``reason`` is a code)."""

    direction = fields.Field(column_name="direction", readonly=True)

    class Meta(MovementResource.Meta):
        fields = (
            "id", "occurred_at", "kind", "direction", "sku", "quantity", "unit", "from_location", "to_location",
            "reference", "supplier", "shipment_number", "reason", "note", "user", "lines",
        )

    def get_export_order(self):
        return self._meta.fields

    def dehydrate_direction(self, movement):
        return movement.direction or ""


@admin.register(Movement)
class MovementAdmin(ExportAdminMixin, ReadOnlyAdmin):
    resource_classes = [MovementExportResource]
    import_export_change_list_template = "admin/movements/movement/change_list.html"
    list_display = ("id", "time", "kind_display", "sku", "quantity_display", "from_location", "to_location",
                    "reference_display", "reason_label", "user")
    list_select_related = ("item", "from_location", "to_location", "user", "supplier", "reason")
    list_filter = (
        "kind",
        SkuFilter,
        LocationEitherSideFilter,
        DateRangeFilter.on("occurred_at", "date"),
        ("supplier", admin.RelatedFieldListFilter),
        ("reason", admin.RelatedFieldListFilter),
    )
    search_fields = ("reference", "item__sku", "note")
    search_help_text = "Reference, SKU or note contains"
    ordering = ("-occurred_at", "-id")
    fields = ("kind_display", "time", "item", "quantity_display", "from_location", "to_location", "reference",
              "supplier", "shipment_number", "reason_label", "note", "shortfall", "user", "document_link")
    readonly_fields = fields
    inlines = [MovementLineInline]

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, movement):
        return movement.item.sku

    @admin.display(description="Kind", ordering="kind")
    def kind_display(self, movement):
        """``Adjustment up`` / ``Adjustment down``: the direction is part of what happened."""
        return kind_label(movement)

    @admin.display(description="Quantity", ordering="quantity")
    def quantity_display(self, movement):
        """Signed where the movement has one direction (``+5 ea`` up, ``-5 ea`` down)."""
        return str(signed_quantity(movement))

    @admin.display(description="Reference", ordering="reference")
    def reference_display(self, movement):
        """As the staff pages word it (``PO PO-1001``, ``Build WO-3``); an adjustment's reason
        is in its own column, by label."""
        return reference_text(movement) or "—"

    @admin.display(description="Reason", ordering="reason__label")
    def reason_label(self, movement):
        return movement.reason.label if movement.reason_id else "—"

    @admin.display(description="Time", ordering="occurred_at")
    def time(self, movement):
        """With its zone, which the admin otherwise leaves unsaid."""
        return date_format(timezone.localtime(movement.occurred_at), "Y-m-d H:i:s T")

    @admin.display(description="Staff page")
    def document_link(self, movement):
        return format_html('<a href="{}">Open the printable record</a>', reverse("movements:document", args=[movement.pk]))

    # --- pages that record movements --------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("transfer/", view(self.transfer_view), name="movements_movement_transfer"),
            path("adjust/", view(self.adjust_view), name="movements_movement_adjust"),
            path("opening-balances/", view(self.opening_balances_view), name="movements_movement_opening_balances"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        user = request.user
        extra_context = {
            "may_transfer": user_can(user, Kind.TRANSFER),
            "may_adjust": user_can(user, Kind.ADJUSTMENT),
            "may_import_opening_balances": may_import_opening_balances(user),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def transfer_view(self, request):
        return self._movement_form_view(
            request, TransferForm, kind=Kind.TRANSFER, title="Transfer stock", submit_label="Transfer",
            prefill={"sku": "sku", "location": "from_location"},
        )

    def adjust_view(self, request):
        return self._movement_form_view(
            request, AdjustmentForm, kind=Kind.ADJUSTMENT, title="Adjust stock", submit_label="Record adjustment",
            prefill={"sku": "sku", "location": "location"},
        )

    def _movement_form_view(self, request, form_class, *, kind, title, submit_label, prefill):
        """The staff pages' form for one kind of movement, inside the admin: the same
        permission (403 otherwise, GET and POST alike), service and messages."""
        if not user_can(request.user, kind):
            raise PermissionDenied
        initial = {field: request.GET[param].strip() for param, field in prefill.items() if request.GET.get(param, "").strip()}
        form = form_class(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST":
            movement = form.submit(request.user)
            if movement is not None:
                self.message_user(request, form.success_message(movement), messages.SUCCESS)
                return redirect(reverse("admin:movements_movement_change", args=[movement.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "submit_label": submit_label,
        }
        return TemplateResponse(request, "admin/movements/movement/movement_form.html", context)

    def opening_balances_view(self, request):
        """Upload an opening-balances CSV, see every row checked (or every problem, by row),
        then confirm; the confirmation sends the checked text back with the preview's one-time
        confirmation and records it all or nothing, at most once, through
        ``opening_balances_import``."""
        if not may_import_opening_balances(request.user):
            raise PermissionDenied
        form = OpeningBalancesForm(*((request.POST, request.FILES) if request.method == "POST" else ()),
                                   user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import opening balances",
            "form": form,
            "opening_po_number": OPENING_PO_NUMBER,
            "opening_reason": OPENING_REASON,
            "currency": currency(),
        }
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["text"]
            try:
                rows = opening_balances_read(text)
                if form.cleaned_data["confirmed"] and len(rows) > settings.HARDFIN_IMPORT_JOB_ROWS:
                    # A large file is recorded by a background job, keyed on the preview's
                    # once key: confirming twice finds the same job.
                    job = jobs.start(
                        kind="import", task="movements.opening_balances", user=request.user,
                        key=f"opening-balances:{form.cleaned_data['once_key']}",
                        params={"once_key": form.cleaned_data["once_key"]}, input_text=text,
                        total=len(rows), next_url=reverse("admin:movements_movement_changelist"),
                    )
                    return redirect(f"/jobs/{job.pk}/")
                if form.cleaned_data["confirmed"]:
                    movements = opening_balances_import(
                        rows=rows, user=request.user, once_key=form.cleaned_data["once_key"]
                    )
                    self.message_user(request, imported_message(movements), messages.SUCCESS)
                    return redirect(reverse("admin:movements_movement_changelist"))
                balances = opening_balances_check(rows=rows)
            except AlreadyImported as exc:
                self.message_user(request, exc.message, messages.WARNING)
                return redirect(reverse("admin:movements_movement_changelist"))
            except OpeningBalancesInvalid as exc:
                context["row_errors"] = exc.errors
            except InventoryError as exc:
                add_domain_error(form, exc)
            else:
                context.update(
                    balances=[preview_row(balance) for balance in balances[:PREVIEW_ROWS]],
                    valid_rows=len(balances),
                    hidden_rows=max(0, len(balances) - PREVIEW_ROWS),
                    receipts=sum(1 for balance in balances if balance.kind == Kind.RECEIPT),
                    adjustments=sum(1 for balance in balances if balance.kind == Kind.ADJUSTMENT),
                    preview_value=preview_value(balances),
                    confirm_form=OpeningBalancesForm(
                        initial={"content": text, "confirmed": True,
                                 "confirmation": confirmation_token(text, user=request.user)},
                        user=request.user,
                    ),
                )
        return TemplateResponse(request, "admin/movements/movement/opening_balances.html", context)


def preview_value(balances) -> str | None:
    """The value of every checked row that has a unit cost (the exact sum, rounded once);
    None when no row has one."""
    costed = [exact_value(balance.quantity, balance.unit_cost) for balance in balances if balance.unit_cost is not None]
    return fmt_money(round_value(sum(costed, Decimal(0)))) if costed else None


def preview_row(balance) -> dict:
    if balance.supplier:
        recorded_as = f"Receipt from {balance.supplier.code}, PO {balance.po_number or OPENING_PO_NUMBER}"
    else:
        recorded_as = f"Adjustment up ({OPENING_REASON})"
    return {
        "row": balance.row,
        "sku": balance.item.sku,
        "location": balance.location.code,
        "quantity": f"{fmt(balance.quantity)} {balance.item.unit}",
        "recorded_as": recorded_as,
        "received": f"{balance.received_at:%Y-%m-%d}" if balance.received_at else "today",
        # A receipt without a cost stays unknown; an adjustment without one takes the item's
        # newest known cost when it is recorded (adjustment_create), which the preview cannot know yet.
        "unit_cost": (fmt_money(balance.unit_cost, places=COST_DECIMAL_PLACES) if balance.unit_cost is not None
                      else "unknown" if balance.supplier else "newest known"),
        "value": fmt_money(round_value(exact_value(balance.quantity, balance.unit_cost))),
    }


def imported_message(movements) -> str:
    receipts = sum(1 for movement in movements if movement.kind == Kind.RECEIPT)
    adjustments = len(movements) - receipts
    return (
        f"Imported {len(movements)} opening balance{'s' if len(movements) != 1 else ''}: "
        f"{receipts} receipt{'s' if receipts != 1 else ''} and {adjustments} upward "
        f"adjustment{'s' if adjustments != 1 else ''}."
    )


def upload_limit() -> int | None:
    """The largest file whose text the confirmation can send back as a form field."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return None if limit is None else limit - 64 * 1024


#: Signs the one-time confirmation a preview hands out.
CONFIRMATION_SALT = "hardfin.movements.opening-balances"
#: How long a preview may wait for its confirmation.
CONFIRMATION_MAX_AGE = 24 * 60 * 60


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def confirmation_token(text: str, *, user) -> str:
    """A signed one-time confirmation for the previewed ``text``, valid for ``user`` only: it
    carries a new random key, under which the import is recorded at most once."""
    payload = {"key": secrets.token_urlsafe(24), "user": user.pk, "digest": _digest(text)}
    return signing.dumps(payload, salt=CONFIRMATION_SALT, compress=True)


def confirmation_key(token: str, text: str, *, user) -> str | None:
    """The once key of ``token`` if the preview gave it to ``user`` for ``text``, else None."""
    try:
        payload = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.BadSignature:  # forged, altered or expired
        return None
    if not isinstance(payload, dict) or payload.get("user") != user.pk or payload.get("digest") != _digest(text):
        return None
    return payload.get("key") or None


class OpeningBalancesForm(forms.Form):
    """Step 1 uploads ``file``; step 2 (confirmation) sends the checked text back in
    ``content``, so no file is kept on the server between the two steps, with the one-time
    ``confirmation`` the preview handed out. ``text`` in the cleaned data is the file's text
    either way; ``once_key`` is the confirmation's key (None for an upload)."""

    file = forms.FileField(required=False, label="CSV file", help_text="UTF-8 CSV with a header row.")
    content = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"hidden": True}))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    confirmation = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            limit = upload_limit()
            if limit is not None and upload.size > limit:
                raise forms.ValidationError(
                    f"The file is larger than {limit // 1024} KB; split it into several files "
                    "(each is imported all or nothing)."
                )
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError('The file is not UTF-8 text; save it as "CSV UTF-8".') from None
            cleaned["confirmed"] = False
            cleaned["once_key"] = None
        elif cleaned.get("content"):
            cleaned["text"] = cleaned["content"]
            cleaned["once_key"] = None
            if cleaned.get("confirmed"):
                cleaned["once_key"] = confirmation_key(cleaned.get("confirmation", ""), cleaned["text"], user=self.user)
                if cleaned["once_key"] is None:
                    raise forms.ValidationError(
                        "This confirmation is not the one the preview gave, or it has expired; upload the file again."
                    )
        else:
            raise forms.ValidationError("Choose a CSV file to upload.")
        return cleaned


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("1", "Open"), ("0", "Settled")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() == "1":
            return queryset.filter(outstanding__gt=0)
        if self.value() == "0":
            return queryset.filter(outstanding=0)
        return queryset.none()  # an unknown value matches nothing, as in the API


@admin.register(Shortfall)
class ShortfallAdmin(ExportAdminMixin, ReadOnlyAdmin):
    resource_classes = [ShortfallResource]
    list_display = ("id", "sku", "location", "reference", "quantity_display", "outstanding_display", "created",
                    "settled")
    list_select_related = ("item", "location", "build")
    list_filter = (OpenFilter, SkuFilter, "location", DateRangeFilter.on("created_at", "date"))
    search_fields = ("reference", "item__sku")
    search_help_text = "Build reference or SKU contains"
    ordering = ("-created_at", "-id")
    fields = ("item", "location", "build", "reference", "quantity_display", "outstanding_display", "created",
              "settled")
    readonly_fields = fields

    @admin.display(description="Created", ordering="created_at")
    def created(self, shortfall):
        return date_format(timezone.localtime(shortfall.created_at), "Y-m-d H:i:s T")

    @admin.display(description="Settled", ordering="settled_at")
    def settled(self, shortfall):
        return date_format(timezone.localtime(shortfall.settled_at), "Y-m-d H:i:s T") if shortfall.settled_at else "—"

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, shortfall):
        return shortfall.item.sku

    @admin.display(description="Quantity", ordering="quantity")
    def quantity_display(self, shortfall):
        return fmt(shortfall.quantity)

    @admin.display(description="Outstanding", ordering="outstanding")
    def outstanding_display(self, shortfall):
        return fmt(shortfall.outstanding)


@admin.register(AdjustmentReason)
class AdjustmentReasonAdmin(CatalogAdmin):
    """Reasons are written through the catalog services like locations; the code is what API
    clients send, so it never changes, and a reason used by movements can only be deactivated."""

    create = staticmethod(reason_create)
    resource_classes = [AdjustmentReasonResource]
    fields = ("code", "label", "requires_note", "is_active")
    list_display = ("code", "label", "requires_note", "is_active")
    list_filter = ("is_active", "requires_note")
    search_fields = ("code", "label")
    ordering = ("code",)
