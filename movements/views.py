"""Staff pages of the ledger: the forms that record movements, and an item's movement
history and batches. Forms call the services through ``movements.forms``; nothing here
writes a model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views import View
from django.views.generic import FormView, TemplateView

from hardfin.csv import csv_response
from hardfin.db_router import replica_reads
from hardfin.pages import StaffPageMixin
from hardfin.pagination import PAGE_SIZE, paginate
from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY
from hardfin.quantities import Quantity, fmt
from inventory.models import Location
from inventory.selectors import stock_rows
from inventory.views import ItemPageMixin
from lots.selectors import batches

from . import forms
from .display_rows import (
    batch_rows,
    document_lines,
    document_value,
    history_rows,
    kind_label,
    reference_text,
    shortfall_rows,
    signed_quantity,
    trace_rows,
)
from .filters import LedgerFilter, MovementFilter, ShortfallFilter
from .models import AdjustmentReason, Movement
from .selectors import (
    batch_trace,
    document_movements,
    document_settlements,
    ledger_newest_first,
    movements_with_lines,
    open_shortfalls,
)
from .services import user_can

Kind = Movement.Kind


# --- forms --------------------------------------------------------------------------------------

class MovementFormView(StaffPageMixin, FormView):
    """A page with one movement form. Only users allowed to record that kind may open it
    (403 for anyone else, GET and POST alike). ``?sku=…&location=…`` pre-fill the form."""

    template_name = "movements/movement_form.html"
    kind: str
    title: str
    intro: str = ""
    submit_label: str
    #: Which query parameter pre-fills which form field.
    prefill = {"sku": "sku", "location": "location"}

    @property
    def section(self):
        return self.kind

    def has_permission(self):
        return super().has_permission() and user_can(self.request.user, self.kind)

    def get_initial(self):
        query = self.request.GET
        return {field: query[param].strip() for param, field in self.prefill.items() if query.get(param, "").strip()}

    def post(self, request, *args, **kwargs):
        """"Check" (also what Enter in any field sends: it is the form's first button), a
        picked suggestion and "Add line" show the form again with what was typed, what the
        location holds and the focus on the next empty field; they record nothing. Only the
        form's own button records."""
        step = request.POST.get("step")
        if step in ("check", "add_line") or request.POST.get("pick_sku"):
            form = self.checked_form(add_line=step == "add_line")
            return self.render_to_response(self.get_context_data(form=form, checked=True))
        return super().post(request, *args, **kwargs)

    def checked_form(self, *, add_line: bool):
        """The form unbound, holding what was sent as its initial values (so no field is
        marked wrong for being still empty)."""
        data = self.request.POST
        form_class = self.get_form_class()
        initial = {name: data.get(name) for name in form_class.base_fields if data.get(name) not in (None, "")}
        if data.get("pick_sku"):
            initial["sku"] = data["pick_sku"]
        if issubclass(form_class, forms.LinesForm):
            lines = form_class.typed_lines(data)
            has_blank = any(not any(str(value).strip() for value in line.values()) for line in lines)
            return form_class(initial=initial, lines=lines, add_lines=1 if add_line or not has_blank else 0)
        return form_class(initial=initial)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        if isinstance(form, forms.LinesForm):
            form.prepare_lines()
        form.focus_first_empty()
        context.update(title=self.title, intro=self.intro, submit_label=self.submit_label)
        return context

    def form_valid(self, form):
        result = form.submit(self.request.user)
        if result is None:
            return self.form_invalid(form)
        message = form.success_message(result)
        document = self.document(result)
        if document is not None:
            # The record to open, link to or print; the user still lands where the stock shows.
            message = format_html(
                '{} <a href="{}">Open the {} record</a> to print it or link to it.',
                message, reverse("movements:document", args=[document.pk]), self.kind,
            )
        messages.success(self.request, message)
        return redirect(self.done_url(result))

    def done_url(self, movement) -> str:
        """Where the user lands after recording: the item's stock, with the new lots."""
        return reverse("lots:item", args=[movement.item.sku])

    def document(self, result) -> Movement | None:
        """The movement whose page (``/movements/<id>/``) is the record of what was just
        written, for forms whose success message links to it."""
        return None


def location_inventory_url(location) -> str:
    """Where a receipt or a build lands: the inventory of its location, by location."""
    return f"{reverse('lots:inventory')}?{urlencode({'view': 'location', 'location': location.code})}"


class TransferFormView(MovementFormView):
    form_class = forms.TransferForm
    kind = Kind.TRANSFER
    title = "Transfer stock"
    intro = "Move units of one item to another location. The oldest batches leave first."
    submit_label = "Transfer"
    prefill = {"sku": "sku", "location": "from_location"}


class AdjustmentFormView(MovementFormView):
    form_class = forms.AdjustmentForm
    kind = Kind.ADJUSTMENT
    title = "Adjust stock"
    intro = (
        "Correct the count of one item at one location. Adding units creates a new batch; "
        "removing units takes them from the oldest batches first."
    )
    submit_label = "Record adjustment"


class ReplacementFormView(MovementFormView):
    form_class = forms.ReplacementForm
    kind = Kind.REPLACEMENT
    title = "Replace parts"
    intro = "Record parts used to repair an asset. The oldest batches are used first."
    submit_label = "Record replacement"

    def document(self, movement):
        return movement


class ReceiptFormView(MovementFormView):
    form_class = forms.ReceiptForm
    kind = Kind.RECEIPT
    title = "Receive a shipment"
    intro = "Each line becomes a new batch at the receiving location. Blank lines are ignored."
    submit_label = "Receive"

    def done_url(self, receipt) -> str:
        return location_inventory_url(receipt.movements[0].to_location)

    def document(self, receipt):
        return receipt.movements[0]


class BuildFormView(MovementFormView):
    form_class = forms.BuildForm
    kind = Kind.BUILD
    title = "Record a build"
    intro = "Parts used in an assembly, taken from the oldest batches first. Blank lines are ignored."
    submit_label = "Record build"

    def done_url(self, build) -> str:
        return location_inventory_url(build.movements[0].from_location)

    def document(self, build):
        return build.movements[0]


# --- item pages -------------------------------------------------------------------------------

def reason_labels() -> dict[str, str]:
    """Adjustment reasons, code → label (a handful of rows), for batches made by adjustments."""
    return dict(AdjustmentReason.objects.values_list("code", "label"))


class ItemHistoryView(ItemPageMixin, TemplateView):
    """``/items/<sku>/history/``: the item's movements, oldest first, filterable by kind,
    location and dates."""

    template_name = "movements/item_history.html"
    tab = "history"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filter_form = forms.HistoryFilterForm(self.request.GET)
        query = filter_form.filter_data()
        movement_filter = MovementFilter(
            query, queryset=movements_with_lines().filter(item=self.item).prefetch_related("shortfalls")
        )
        page = paginate(self.request, movement_filter.qs)
        context.update(
            filter_form=filter_form,
            page=page,
            rows=history_rows(page.object_list, location_code=query.get("location", "")),
            time_zone=timezone.get_current_timezone_name(),
        )
        return context


class ItemBatchesView(ItemPageMixin, TemplateView):
    """``/items/<sku>/batches/``: every batch of the item, each linking to its trace."""

    template_name = "movements/item_batches.html"
    tab = "batches"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = paginate(self.request, batches().filter(item=self.item))
        context.update(page=page, rows=batch_rows(page.object_list, reason_labels=reason_labels()))
        return context


class BatchTraceView(ItemPageMixin, TemplateView):
    """``/items/<sku>/batches/<number>/``: where the batch's units went, line by line."""

    template_name = "movements/batch_trace.html"
    tab = "batches"

    @cached_property
    def batch(self):
        return get_object_or_404(batches(), item=self.item, number=self.kwargs["number"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = paginate(self.request, batch_trace(self.batch).select_related("movement__reason"))
        context.update(batch=batch_rows([self.batch], reason_labels=reason_labels())[0], page=page,
                       rows=trace_rows(page.object_list))
        return context


# --- the ledger across items, documents, locations, shortfalls ------------------------------------

class LedgerCursor:
    """Keyset paging of the ledger newest first on (time, id): a page is the rows just older
    (``after``) or just newer (``before``) than one movement, so no query ever counts the
    ledger and a page never skips or repeats a movement while new ones are written. A cursor
    is ``<ISO time>~<id>`` of the movement at the page's edge."""

    SEPARATOR = "~"

    @classmethod
    def encode(cls, movement: Movement) -> str:
        return f"{movement.occurred_at.astimezone(UTC).isoformat()}{cls.SEPARATOR}{movement.pk}"

    @classmethod
    def decode(cls, text: str) -> tuple[datetime, int] | None:
        moment, _, pk = (text or "").partition(cls.SEPARATOR)
        try:
            when = datetime.fromisoformat(moment)
            number = int(pk)
        except (ValueError, OverflowError):
            return None
        if when.tzinfo is None or number < 1:
            return None
        return when, number


@dataclass
class LedgerPage:
    rows: list
    newer: str | None  # cursor of the page before (newer movements), None on the newest page
    older: str | None  # cursor of the next page (older movements), None on the last page
    is_newest: bool


def ledger_page(queryset, *, after: str = "", before: str = "", size: int = PAGE_SIZE) -> LedgerPage:
    """One page of ``queryset`` (ordered newest first by ``ledger_newest_first``): two
    queries, the page and its lines, whatever the size of the ledger."""
    edge = LedgerCursor.decode(before) if before else LedgerCursor.decode(after) if after else None
    if edge and before:
        when, pk = edge
        # The plain range first lets the database walk the (time, id) index from the edge.
        newer = queryset.filter(occurred_at__gte=when).filter(
            Q(occurred_at__gt=when) | Q(occurred_at=when, pk__gt=pk)).order_by("occurred_at", "id")
        rows = list(newer[: size + 1])
        has_more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return LedgerPage(
            rows,
            newer=LedgerCursor.encode(rows[0]) if has_more_newer and rows else None,
            older=LedgerCursor.encode(rows[-1]) if rows else after or None,
            is_newest=not has_more_newer,
        )
    if edge:
        when, pk = edge
        queryset = queryset.filter(occurred_at__lte=when).filter(Q(occurred_at__lt=when) | Q(occurred_at=when, pk__lt=pk))
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return LedgerPage(
        rows,
        newer=LedgerCursor.encode(rows[0]) if edge and rows else None,
        older=LedgerCursor.encode(rows[-1]) if has_more else None,
        is_newest=edge is None,
    )


def today_range(now=None) -> tuple[str, str]:
    """``since`` and ``until`` of today in the site's time zone, as the ledger's filters read them."""
    today = timezone.localdate(now)
    return today.isoformat(), (today + timedelta(days=1)).isoformat()


@method_decorator(replica_reads(), name="dispatch")
class LedgerView(StaffPageMixin, TemplateView):
    """``/movements/``: every movement of every item, newest first, filtered by ``item``,
    ``location``, ``kind``, ``reference``, ``since`` (included) and ``until`` (not included)
    as the API reads them; paged by cursor (``?after=`` / ``?before=``), never counted."""

    template_name = "movements/ledger.html"
    section = "ledger"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        ledger_filter = LedgerFilter(query, queryset=ledger_newest_first())
        valid = ledger_filter.is_valid()
        page = ledger_page(
            ledger_filter.qs if valid else Movement.objects.none(),
            after=query.get("after", ""), before=query.get("before", ""),
        )
        filters = {name: query.get(name, "") for name in ledger_filter.form.fields if query.get(name, "")}
        since, until = today_range()
        context.update(
            filter_form=ledger_filter.form,
            valid=valid,
            page=page,
            rows=history_rows(page.rows),
            export_query=urlencode(filters),
            filtered=bool(filters),
            today_query=urlencode({**filters, "since": since, "until": until}),
            time_zone=timezone.get_current_timezone_name(),
        )
        return context


LEDGER_EXPORT_HEADER = (
    "id", "occurred_at", "kind", "direction", "sku", "quantity", "signed_quantity", "unit", "from_location",
    "to_location", "reference", "supplier", "shipment_number", "reason", "note", "user", "lines",
)


def ledger_export_rows(movements) -> Iterator[tuple]:
    """The export's rows: codes, not labels (``reason`` is the reason's code, ``kind`` and
    ``direction`` as the API spells them), times in ISO 8601 with their offset, quantities as
    numbers; ``signed_quantity`` is the change a receipt, adjustment, build or replacement made
    (+ in, − out; unsigned for transfers and settlements); ``lines`` is ``0001:75; 0002:45``."""
    for movement in movements.iterator(chunk_size=1000):
        yield (
            movement.pk,
            timezone.localtime(movement.occurred_at).isoformat(timespec="seconds"),
            movement.kind,
            movement.direction or "",
            movement.item.sku,
            movement.quantity,
            signed_quantity(movement).value,
            movement.item.unit,
            movement.from_location.code if movement.from_location_id else "",
            movement.to_location.code if movement.to_location_id else "",
            movement.reference,
            movement.supplier.code if movement.supplier_id else "",
            movement.shipment_number,
            movement.reason.code if movement.reason_id else "",
            movement.note,
            movement.user.get_username(),
            "; ".join(f"{line.batch.label}:{fmt(line.quantity)}" for line in movement.lines.all()),
        )


@method_decorator(replica_reads(), name="dispatch")
class LedgerExportView(StaffPageMixin, View):
    """``/movements/export.csv?<the ledger page's query>``: every movement the page's filters
    match (not only the page shown), newest first. A filter the page would point out as wrong
    is a 400 with its message, never a file of something else."""

    permission_required = (VIEW_INVENTORY, EXPORT_INVENTORY)

    def get(self, request):
        ledger_filter = LedgerFilter(request.GET, queryset=ledger_newest_first())
        if not ledger_filter.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in ledger_filter.form.errors.items()
            )
            return HttpResponseBadRequest(f"Nothing exported: {problems}", content_type="text/plain; charset=utf-8")
        filename = f"movements-{timezone.localdate():%Y-%m-%d}.csv"
        return csv_response(filename, LEDGER_EXPORT_HEADER, ledger_export_rows(ledger_filter.qs))


class MovementDocumentView(StaffPageMixin, TemplateView):
    """``/movements/<id>/``: one movement as a printable document — for a receipt or a build,
    every line written with it (so any line's address opens the whole document), its batches,
    who recorded it and when, and the shortfalls and settlements that belong to it."""

    template_name = "movements/document.html"
    section = "ledger"

    @cached_property
    def movement(self):
        return get_object_or_404(movements_with_lines(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        movement = self.movement
        lines = document_lines(document_movements(movement))
        settlements = history_rows(document_settlements(movement))
        first = lines[0].movement if lines else movement
        shortfalls = [shortfall for line in lines for shortfall in line.movement.shortfalls.all()]
        context.update(
            movement=first,
            kind_label=kind_label(first),
            title=document_title(first),
            lines=lines,
            document_value=document_value(lines),
            reference=reference_text(first),
            settlements=settlements,
            shortfalls=shortfall_rows(shortfalls),
            time_zone=timezone.get_current_timezone_name(),
        )
        return context


def document_title(movement: Movement) -> str:
    """``Receipt of PO PO-1001``, ``Build WO-3``, ``Replacement on asset TRUCK-7`` …"""
    if movement.kind == Kind.RECEIPT:
        return f"Receipt of PO {movement.reference}"
    if movement.kind == Kind.BUILD:
        return f"Build {movement.reference}"
    if movement.kind == Kind.REPLACEMENT:
        return f"Replacement on asset {movement.reference}"
    if movement.kind == Kind.SETTLEMENT:
        return f"Settlement of build {movement.reference}'s shortfall"
    return f"{kind_label(movement)} #{movement.pk}"


#: How many of a location's latest movements its page shows (the ledger page has them all).
LOCATION_RECENT = 20


class LocationView(StaffPageMixin, TemplateView):
    """``/locations/<code>/`` (any case): the location's stock by item (paged), its latest
    movements and its open shortfalls."""

    template_name = "movements/location.html"
    section = "location"  # no navigation entry of its own

    @cached_property
    def location(self):
        return get_object_or_404(Location, code__iexact=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        location = self.location
        stock = paginate(self.request, stock_rows().filter(location=location).exclude(quantity=0))
        recent = ledger_page(ledger_newest_first().filter(
            Q(from_location=location) | Q(to_location=location)), size=LOCATION_RECENT)
        since, until = today_range()
        context.update(
            location=location,
            page=stock,
            stock=[(level, Quantity(level.quantity, level.item.unit)) for level in stock.object_list],
            recent=history_rows(recent.rows, location_code=location.code),
            more_recent=recent.older is not None,
            shortfalls=shortfall_rows(open_shortfalls().filter(location=location)[:PAGE_SIZE]),
            ledger_query=urlencode({"location": location.code}),
            today_query=urlencode({"location": location.code, "since": since, "until": until}),
            time_zone=timezone.get_current_timezone_name(),
        )
        return context


class ShortfallsView(StaffPageMixin, TemplateView):
    """``/shortfalls/``: open build shortfalls, oldest first, by ``item`` and ``location``."""

    template_name = "movements/shortfalls.html"
    section = "shortfalls"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = {key: value for key, value in self.request.GET.items() if key in ("item", "location")}
        shortfall_filter = ShortfallFilter(query, queryset=open_shortfalls())
        page = paginate(self.request, shortfall_filter.qs)
        context.update(
            page=page,
            rows=shortfall_rows(page.object_list),
            item=query.get("item", ""),
            location=query.get("location", ""),
            locations=Location.objects.order_by("code"),
            time_zone=timezone.get_current_timezone_name(),
        )
        return context
