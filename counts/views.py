"""Staff pages of counts and low stock: the list of counts (and starting one), the count sheet
for the floor (one number per item, a scan-or-type SKU field, CSV sheet and upload), the review
(expected, counted, variance; Post and Cancel), reorder points and the low-stock list.

Pages are a door: they parse, check the user and call ``counts.services``; no JavaScript is
needed anywhere — a barcode scanner types the SKU and Enter into an ordinary form.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from hardfin import jobs
from hardfin.csv import csv_response, import_cell
from hardfin.errors import InsufficientStock, InvalidInput, InventoryError
from hardfin.money import currency
from hardfin.pages import StaffPageMixin
from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY
from hardfin.quantities import Quantity, fmt
from inventory.models import Item, Location
from inventory.services import resolve
from lots import views as lots_views

from . import selectors, services
from .api import low_stock_rows, wants_below_minimum
from .errors import CountError
from .forms import CountStartForm, ReorderPointForm
from .models import Count, ReorderPoint

#: Rows of an uploaded counts file (``sku,counted``); more is a mistake, not a count.
MAX_UPLOAD_ROWS = 10_000


def error_text(exc: InventoryError) -> str:
    if isinstance(exc, CountError) and exc.skus and exc.code != "count_incomplete":
        return exc.message
    if exc.line is not None:
        return f"Line {exc.line + 1} ({exc.sku}): {exc.message}"
    return exc.message


class CountsPageMixin(StaffPageMixin):
    section = "counts"
    permission_required = (VIEW_INVENTORY, services.VIEW)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(may_manage=services.user_may(user, services.MANAGE),
                       may_enter=services.user_may(user, services.ENTER))
        return context


# --- the list of counts, and starting one -----------------------------------------------------

class CountListView(CountsPageMixin, TemplateView):
    """``/counts/``: open counts first, then the newest; Managers and Accountants start one here."""

    template_name = "counts/count_list.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        from hardfin.pagination import paginate

        context.update(page=paginate(self.request, selectors.counts()),
                       form=form or CountStartForm(initial={"location": self.request.GET.get("location")}))
        return context

    def post(self, request):
        if not services.user_may(request.user, services.MANAGE):
            raise PermissionDenied("Only Managers and Accountants start counts.")
        form = CountStartForm(request.POST)
        if form.is_valid():
            try:
                count = services.count_start(location=form.cleaned_data["location"], items=form.cleaned_data["skus"],
                                             note=form.cleaned_data["note"], user=request.user)
            except InventoryError as exc:
                form.add_error("skus" if isinstance(exc, CountError) else None, error_text(exc))
            else:
                messages.success(request, f"Started count {count.pk} of {count.location.name} "
                                          f"({count.lines.count()} items).")
                return redirect("counts:sheet", count.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- one count ----------------------------------------------------------------------------------

class CountMixin(CountsPageMixin):
    @cached_property
    def count(self) -> Count:
        try:
            return selectors.count_with_lines(self.kwargs["pk"])
        except Count.DoesNotExist:
            raise Http404("No such count.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = list(self.count.lines.all())
        context.update(count=self.count, lines=lines, counted=sum(1 for line in lines if line.counted is not None))
        return context


class CountSheetView(CountMixin, TemplateView):
    """``/counts/<id>/``: the count sheet. One row per item with one number field; the scan
    field (``?scan=SKU``, what a scanner types and Enter sends) brings that row to the top,
    focused — or, for an item not on the count, a new row for it (found stock), which the next
    save adds."""

    template_name = "counts/count_sheet.html"

    def get(self, request, *args, **kwargs):
        scan = request.GET.get("scan", "").strip()
        if scan:
            return self.scanned(scan)
        return super().get(request, *args, **kwargs)

    def scanned(self, scan: str):
        url = reverse("counts:sheet", args=[self.count.pk])
        try:
            item = resolve(Item, scan, field="scan")
        except InvalidInput:
            messages.error(self.request, f"No item has the SKU {scan!r}.")
            return redirect(url)
        # No #fragment: browsers skip autofocus when the address points at an element, and the
        # row comes first on the page anyway.
        return HttpResponseRedirect(f"{url}?{urlencode({'line': item.sku})}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = context["lines"]
        wanted = self.request.GET.get("line", "").strip().lower()
        current, found_item = None, None
        if wanted:
            current = next((line for line in lines if line.item.sku.lower() == wanted), None)
            if current is None:
                found_item = Item.objects.filter(sku__iexact=wanted, is_active=True).first()
        rows = [current] + [line for line in lines if line is not current] if current else lines
        context.update(rows=rows, current=current, found_item=found_item,
                       blind=self.count.is_open and not context["may_manage"])
        return context


class CountEntriesView(CountMixin, View):
    """POST ``/counts/<id>/entries/``: the sheet's numbers. Only fields that changed are
    entered (each counted now); an empty field leaves its line as it is."""

    http_method_names = ["post"]

    def has_permission(self):
        return super().has_permission() and services.user_may(self.request.user, services.ENTER)

    def post(self, request, pk):
        count = self.count
        data = request.POST
        entries, errors = [], []
        lines = {str(line.pk): line for line in count.lines.all()}
        for key, value in data.items():
            if not key.startswith("counted-"):
                continue
            line = lines.get(key.removeprefix("counted-"))
            value = value.strip()
            if line is None or not value:
                continue
            was = "" if line.counted is None else fmt(line.counted)
            if value == was:
                continue
            try:
                entries.append((line.item, services.check_counted(value, item=line.item)))
            except InvalidInput as exc:
                errors.append(f"{line.item.sku}: {exc.message}")
        found_sku, found_value = data.get("found-sku", "").strip(), data.get("found-counted", "").strip()
        if found_sku and found_value:
            try:
                item = resolve(Item, found_sku, field="sku", active_only=True)
                entries.append((item, services.check_counted(found_value, item=item)))
            except InvalidInput as exc:
                errors.append(f"{found_sku}: {exc.message}")
        if errors:
            for error in errors:
                messages.error(request, error)
            messages.error(request, "Nothing was saved: correct the counts above and save again.")
            return redirect("counts:sheet", count.pk)
        if not entries:
            messages.info(request, "No new counts to save.")
            return redirect("counts:sheet", count.pk)
        try:
            services.count_enter(count=count, entries=entries, user=request.user)
        except InventoryError as exc:
            messages.error(request, f"Nothing was saved: {error_text(exc)}")
            return redirect("counts:sheet", count.pk)
        saved = sorted((item.sku for item, _ in entries), key=str.lower)
        skus = ", ".join(saved[:5]) + (" …" if len(saved) > 5 else "")
        messages.success(request, f"Saved {len(entries)} count{'s' if len(entries) != 1 else ''}: {skus}.")
        return redirect("counts:sheet", count.pk)


class CountSheetCsvView(CountMixin, View):
    """GET ``/counts/<id>/sheet.csv``: the printable count sheet (blind for Operators while open);
    its ``sku,counted`` columns are what the upload reads back."""

    def get(self, request, pk):
        count = self.count
        blind = count.is_open and not services.user_may(request.user, services.MANAGE)
        header = ["sku", "counted", "item_name", "unit"] + ([] if blind else ["expected", "variance"])

        def rows():
            for line in count.lines.all():
                # Quantities as Decimals (None: an empty cell), which the writer never escapes.
                row = [line.item.sku, line.counted, line.item.name, line.item.unit]
                if not blind:
                    row += [line.expected, line.variance]
                yield row

        return csv_response(f"count-{count.pk}-{count.location.code}.csv", header, rows())


class CountUploadView(CountMixin, View):
    """POST ``/counts/<id>/upload/``: counts from a CSV with the columns ``sku,counted``. Every bad
    row is reported at once, and nothing is recorded unless every row is good."""

    http_method_names = ["post"]

    def has_permission(self):
        return super().has_permission() and services.user_may(self.request.user, services.ENTER)

    def post(self, request, pk):
        count = self.count
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV file to upload.")
            return redirect("counts:sheet", count.pk)
        entries, errors = parse_counts_csv(upload.read())
        if errors:
            for error in errors[:50]:
                messages.error(request, error)
            if len(errors) > 50:
                messages.error(request, f"… and {len(errors) - 50} more bad rows.")
            messages.error(request, "Nothing was recorded: correct the file and upload it again.")
            return redirect("counts:sheet", count.pk)
        try:
            services.count_enter(count=count, entries=entries, user=request.user)
        except InventoryError as exc:
            messages.error(request, f"Nothing was recorded: {error_text(exc)}")
            return redirect("counts:sheet", count.pk)
        messages.success(request, f"Recorded {len(entries)} counts from {upload.name}.")
        return redirect("counts:sheet", count.pk)


def parse_counts_csv(content: bytes) -> tuple[list, list[str]]:
    """``([(item, counted)], [error, ...])`` from a ``sku,counted`` CSV (a header row is
    required; other columns are ignored, so the printable sheet can be filled in and sent back)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["The file is not UTF-8 text; save it as CSV (UTF-8)."]
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if "sku" not in header or "counted" not in header:
        return [], ["The first row must name the columns sku and counted."]
    sku_at, counted_at = header.index("sku"), header.index("counted")
    items = {item.sku.lower(): item for item in Item.objects.all().only("id", "sku", "unit", "fractional", "is_active")}
    entries, errors, seen = [], [], {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_UPLOAD_ROWS:
            errors.append(f"The file has more than {MAX_UPLOAD_ROWS} rows.")
            break
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (max(sku_at, counted_at) + 1 - len(row))
        sku, counted = import_cell(cells[sku_at]), import_cell(cells[counted_at])
        item = items.get(sku.lower())
        if not sku:
            errors.append(f"Row {number}: the SKU is missing.")
            continue
        if item is None:
            errors.append(f"Row {number}: no item has the SKU {sku!r}.")
            continue
        if sku.lower() in seen:
            errors.append(f"Row {number}: {item.sku} is on row {seen[sku.lower()]} already.")
            continue
        seen[sku.lower()] = number
        if not counted:
            continue  # not counted yet: the printed sheet's empty rows
        try:
            entries.append((item, services.check_counted(counted, item=item)))
        except InvalidInput as exc:
            errors.append(f"Row {number} ({item.sku}): {exc.message}")
    if not entries and not errors:
        errors.append("The file has no counted rows.")
    return entries, errors


class CountReviewView(CountMixin, TemplateView):
    """``/counts/<id>/review/``: expected, counted and variance of every line; Post, Cancel."""

    template_name = "counts/count_review.html"

    def has_permission(self):
        return super().has_permission() and services.user_may(self.request.user, services.MANAGE)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = context["lines"]
        values = selectors.variance_values(self.count, lines)
        for line in lines:
            line.variance_value = values.get(line.pk)
        total, unknown = selectors.variance_total(values)
        context.update(
            uncounted=[line for line in lines if line.counted is None],
            differing=[line for line in lines if line.variance],
            valued=bool(values), variance_total=total, unknown_values=unknown, currency=currency(),
        )
        return context


class CountActionView(CountMixin, View):
    """POST ``/counts/<id>/post/`` and ``/counts/<id>/cancel/``."""

    http_method_names = ["post"]
    action: str = ""

    def has_permission(self):
        return super().has_permission() and services.user_may(self.request.user, services.MANAGE)

    def post(self, request, pk):
        count = self.count
        try:
            if self.action == "post":
                uncounted = request.POST.get("uncounted") or None
                if count.lines.count() > settings.HARDFIN_COUNT_POST_JOB_LINES:
                    # A large count is posted by a background job (once: keyed on the count).
                    job = jobs.start(kind="count_post", task="counts.post_count", user=request.user,
                                     key=f"count-post:{count.pk}", total=count.lines.count(),
                                     params={"count": count.pk, "uncounted": uncounted},
                                     next_url=reverse("counts:review", args=[count.pk]))
                    return redirect(f"/jobs/{job.pk}/")
                services.count_post(count=count, uncounted=uncounted, user=request.user)
            else:
                services.count_cancel(count=count, user=request.user)
        except InsufficientStock as exc:
            messages.error(request, f"Nothing was posted: {exc.message} Count those lines again.")
            return redirect("counts:review", count.pk)
        except InventoryError as exc:
            messages.error(request, f"Nothing was posted: {error_text(exc)}")
            return redirect("counts:review", count.pk)
        if self.action == "post":
            posted = selectors.count_with_lines(count.pk)
            corrections = sum(1 for line in posted.lines.all() if line.adjustment_id)
            messages.success(request, f"Posted count {count.pk}: {corrections} correction"
                                      f"{'s' if corrections != 1 else ''} recorded.")
        else:
            messages.success(request, f"Cancelled count {count.pk}; nothing was adjusted.")
        return redirect("counts:review", count.pk)


# --- reorder points and low stock ---------------------------------------------------------------

class LowStockView(StaffPageMixin, TemplateView):
    """``/low-stock/``: every item-location below its minimum, with what to order; filters
    ``search``, ``item``, ``location``; its CSV at ``/low-stock/export.csv``."""

    template_name = "counts/low_stock.html"
    section = "low-stock"

    def get_context_data(self, **kwargs):
        from hardfin.pagination import paginate

        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("below_minimum", None)
        query.pop("page", None)
        page = paginate(self.request, low_stock_rows(self.request.GET))
        for point in page.object_list:
            unit = point.item.unit
            point.shown = {name: Quantity(getattr(point, name), unit) if getattr(point, name) is not None else None
                           for name in ("quantity", "minimum", "target", "to_order")}
        context.update(
            page=page, rows=page.object_list, filters=self.request.GET,
            locations=Location.objects.order_by("code"), export_query=query.urlencode(),
            may_set=self.request.user.has_perm(services.ADD_REORDER),
        )
        return context


class LowStockExportView(StaffPageMixin, View):
    permission_required = (VIEW_INVENTORY, EXPORT_INVENTORY)

    def get(self, request):
        return selectors.low_stock_export("low-stock.csv", low_stock_rows(request.GET))


class ReorderPointsView(StaffPageMixin, TemplateView):
    """``/reorder-points/``: Managers set the minimum and target of item-locations (a second
    entry for the same item-location changes it); a row's Remove button deletes it."""

    template_name = "counts/reorder_points.html"
    section = "low-stock"

    def get_context_data(self, form=None, **kwargs):
        from hardfin.pagination import paginate

        context = super().get_context_data(**kwargs)
        points = selectors.reorder_points_with_quantity()
        location = self.request.GET.get("location", "").strip()
        if location:
            points = points.filter(location__code__iexact=location)
        page = paginate(self.request, points)
        for point in page.object_list:
            point.shown = {name: Quantity(getattr(point, name), point.item.unit) if getattr(point, name) is not None
                           else None for name in ("quantity", "minimum", "target")}
        context.update(
            page=page, rows=page.object_list, may_set=self.request.user.has_perm(services.ADD_REORDER),
            form=form or ReorderPointForm(initial={"sku": self.request.GET.get("sku", ""),
                                                   "location": self.request.GET.get("location", "")}),
        )
        return context

    def post(self, request):
        user = request.user
        if not (user.has_perm(services.ADD_REORDER) and user.has_perm(services.CHANGE_REORDER)):
            raise PermissionDenied("Only Managers set reorder points.")
        if request.POST.get("delete"):
            point = get_object_or_404(ReorderPoint.objects.select_related("item", "location"),
                                      pk=request.POST["delete"] if request.POST["delete"].isdigit() else 0)
            if not user.has_perm(services.DELETE_REORDER):
                raise PermissionDenied("Only Managers remove reorder points.")
            services.reorder_point_delete(reorder_point=point, user=user)
            messages.success(request, f"Removed the reorder point of {point.item.sku} at {point.location.code}.")
            return redirect("counts:reorder-points")
        form = ReorderPointForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            target = data["target"] or None
            try:
                existing = ReorderPoint.objects.filter(item=data["sku"], location=data["location"]).first()
                if existing:
                    point = services.reorder_point_update(reorder_point=existing, minimum=data["minimum"],
                                                          target=target, user=user)
                else:
                    point = services.reorder_point_create(item=data["sku"], location=data["location"],
                                                          minimum=data["minimum"], target=target, user=user)
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                target_text = f", target {fmt(point.target)}" if point.target is not None else ""
                messages.success(request, f"{point.item.sku} at {point.location.code}: minimum "
                                          f"{fmt(point.minimum)}{target_text}.")
                return redirect("counts:reorder-points")
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- the inventory page and its export with below_minimum -----------------------------------------

class InventoryOrLowStockView(LowStockView):
    """``/inventory/?below_minimum=true``: the low-stock rows under the inventory's filters; any
    other request is the stock app's inventory page, as it always was."""

    section = "inventory"

    def dispatch(self, request, *args, **kwargs):
        if wants_below_minimum(request.GET) in (None, False):
            return lots_views.InventoryView.as_view()(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


class InventoryExportOrLowStockView(StaffPageMixin, View):
    """``/inventory/export.csv?below_minimum=true``: those rows in the stock export's columns."""

    permission_required = (VIEW_INVENTORY, EXPORT_INVENTORY)

    def dispatch(self, request, *args, **kwargs):
        if wants_below_minimum(request.GET) in (None, False):
            return lots_views.StockExportView.as_view()(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return selectors.low_stock_stock_export("inventory.csv", low_stock_rows(request.GET), with_unit_and_code=True)


