"""The Django admin as Hardfin's back office: the site (who may enter it), and the pieces every
app's admin shares (service-backed catalog forms, read-only ledger pages, streamed CSV export,
all-or-nothing CSV import, and list filters).

``BackOfficeSite`` is the default admin site through ``hardfin.apps.BackOfficeAdminConfig``
(listed in INSTALLED_APPS instead of ``django.contrib.admin``), so every app's
``admin.register`` lands on it.
"""

from __future__ import annotations

import datetime
import json

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import ModelForm
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from import_export.admin import ExportMixin, ImportMixin
from import_export.formats import base_formats
from import_export.results import RowResult
from import_export.signals import post_export

from .csv import csv_response
from .errors import ConflictError, InventoryError
from .forms import add_domain_error
from .identifiers import has_nul
from .pagination import count_up_to, page_number
from .permissions import EXPORT_INVENTORY
from .resources import IMPORT_BATCH_SIZE, PREVIEW_ROWS, adopt, can_insert_in_bulk, insert_in_bulk

#: Groups whose members may sign in to the admin (Operators work in the staff pages only).
ADMIN_GROUPS = ("Managers", "Accountants")


# --- who may enter ------------------------------------------------------------------------------

def may_use_admin(user) -> bool:
    """Active superusers and active members of Managers or Accountants; ``is_staff`` plays no
    part, so group membership alone decides. Cached on the user for the request."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_hardfin_may_use_admin"):
        user._hardfin_may_use_admin = user.groups.filter(name__in=ADMIN_GROUPS).exists()
    return user._hardfin_may_use_admin


class BackOfficeAuthenticationForm(AdminAuthenticationForm):
    """The admin sign-in form, admitting by group instead of by the ``is_staff`` flag."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class BackOfficeSite(admin.AdminSite):
    site_header = "Hardfin Inventory back office"
    site_title = "Hardfin back office"
    index_title = "Catalog, stock and ledger"
    site_url = "/inventory/"
    login_form = BackOfficeAuthenticationForm

    def has_permission(self, request) -> bool:
        return may_use_admin(request.user)


# --- every back-office list -----------------------------------------------------------------------

class BackOfficeChangeList(ChangeList):
    """A list (and its CSV export) whose filters match nothing when any filter value holds a
    NUL character: no stored text holds one, and PostgreSQL refuses it even in a query. The
    search box needs nothing: Django refuses a NUL there with a message."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if has_nul(*(value for values in self.filter_params.values() for value in values)):
            return queryset.none()
        return queryset


class BoundedCountPaginator(Paginator):
    """The admin's pages over tables that grow with history (a million stock levels, lots or
    ledger rows), counted at the cost of what they show rather than of the table.

    Up to ``EXACT_LIMIT`` rows the count is exact; it is taken as ``COUNT(*)`` over the first
    ``EXACT_LIMIT + 1`` matching rows, so it stops there. Past it, on PostgreSQL, the count is the
    planner's estimate of the filtered list (its statistics, no scan) and the page says "about";
    elsewhere (SQLite, the embedded default) it stays exact. With an estimate any page number is
    accepted: one past the real end is an empty page, not an error."""

    EXACT_LIMIT = 10_000

    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        counted = count_up_to(queryset, self.EXACT_LIMIT)
        if counted <= self.EXACT_LIMIT:
            return counted
        if connections[queryset.db].vendor != "postgresql":
            return queryset.count()
        plan = json.loads(queryset.explain(format="json"))
        self.estimated = True
        return max(counted, int(plan[0]["Plan"]["Plan Rows"]))

    def validate_number(self, number):
        if not (self.count and self.estimated):
            return super().validate_number(number)
        return page_number(number)

    def page(self, number):
        number = self.validate_number(number)
        if not self.estimated:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class BackOfficeAdmin(admin.ModelAdmin):
    """What every Hardfin admin shares: bounded counts (``BoundedCountPaginator``), and no
    second count of the whole table beside a filtered one."""

    paginator = BoundedCountPaginator
    show_full_result_count = False
    #: Pages of 50, as everywhere else (hardfin.pagination); a page of 100 ledger rows, each
    #: with its item, places and batch, took longer to render than to read.
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return BackOfficeChangeList


# --- catalog records written through the services ----------------------------------------------

class ServiceModelForm(ModelForm):
    """A change form that only reads its fields. The model's own validation (codes, uniqueness
    ignoring case) runs in the service that saves the record, whose messages are written for
    people; the admin shows them on the field they name (see ``ServiceWritesAdmin``)."""

    #: The domain error of a write that failed; set on a copy of the form class.
    service_error: InventoryError | None = None

    def clean(self):
        cleaned = super().clean()
        if self.service_error is not None:
            add_domain_error(self, self.service_error)
        return cleaned

    def _post_clean(self):
        # The service validates the model; doing it here too would word uniqueness errors as
        # "Constraint item_sku_unique_ci is violated".
        pass


class ServiceWritesAdmin(BackOfficeAdmin):
    """An admin whose saves and deletes are service calls: subclasses define
    ``save_record(obj, form, change)`` (write through a service, return the saved instance)
    and ``delete_record(obj)``.

    Domain errors never reach the user as a 500: a failed save (``InvalidInput``, or a conflict
    with the current state such as making an item whole-unit while fractions are in stock)
    re-renders the form with the message on its field (the failed write was rolled back with the
    view's transaction); a ``ConflictError`` such as ``HasHistory`` on delete becomes an error
    message.
    """

    form = ServiceModelForm

    def save_model(self, request, obj, form, change):
        adopt(obj, self.save_record(obj, form, change))

    def delete_model(self, request, obj):
        self.delete_record(obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_hardfin_service_error", None)
        if error is None:
            return form
        return type(form.__name__, (form,), {"service_error": error})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except InventoryError as error:
            request._hardfin_service_error = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ConflictError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id]))

    def get_deleted_objects(self, objs, request):
        # Whether a record may go is the service's decision when it tries (HasHistory); listing
        # every ledger row that refers to an item would make a slow, endless page.
        perms_needed = set() if self.has_delete_permission(request) else {str(self.opts.verbose_name)}
        return [str(obj) for obj in objs], {self.opts.verbose_name_plural: len(objs)}, perms_needed, []

    def get_actions(self, request):
        # Bulk delete would bypass the service and fail on the first record with history.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


# --- read-only ledger pages ---------------------------------------------------------------------

class ReadOnlyAdmin(BackOfficeAdmin):
    """Lots, batches, stock levels and the ledger are written only by the movement services:
    nobody, superusers included, adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- CSV export and import ---------------------------------------------------------------------

#: CSV everywhere; XLSX as well when its library (openpyxl) is installed.
FORMATS = [base_formats.CSV] + ([base_formats.XLSX] if base_formats.XLSX.is_available() else [])


class ExportAdminMixin(ExportMixin):
    """Export of the filtered changelist. CSV is streamed row by row through ``hardfin.csv``
    (every text cell escaped against formula injection), so an export of any size runs in
    bounded memory; other formats go through django-import-export as usual."""

    formats = FORMATS

    def has_export_permission(self, request):
        return request.user.has_perm(EXPORT_INVENTORY) and self.has_view_permission(request)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        if not isinstance(file_format, base_formats.CSV):
            return super()._do_file_export(file_format, request, queryset, export_form=export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        resource_class = self.choose_export_resource_class(export_form, request)
        resource = resource_class(**self.get_export_resource_kwargs(request, export_form=export_form))
        selected = self.get_export_resource_fields_from_form(export_form)
        header = resource.get_export_headers(selected_fields=selected)
        rows = (
            resource.export_resource(obj, selected_fields=selected, force_native_type=True)
            for obj in resource.iter_queryset(queryset)
        )
        filename = f"{self.opts.model_name}-{timezone.now():%Y-%m-%d}.csv"
        response = csv_response(filename, header, rows)
        post_export.send(sender=None, model=self.model)
        return response


class ImportExportAdminMixin(ImportMixin, ExportAdminMixin):
    """CSV import with django-import-export's dry-run preview, allowed to whoever may both add
    and change the model. The resources roll the whole file back when any row fails."""

    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_template_name = "admin/hardfin/import.html"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        result = context.get("result") if context else None
        if result is not None and not result.has_errors() and not result.has_validation_errors():
            # Every row was checked; the page lists the first rows' changes and the totals.
            rows = result.valid_rows()
            context["preview_rows"] = rows[:PREVIEW_ROWS]
            context["hidden_rows"] = max(0, len(rows) - PREVIEW_ROWS)
        return response

    def generate_log_entries(self, result, request):
        """One history entry per record added or changed, as django-import-export writes them,
        inserted a batch per statement (``LogEntry.objects.log_actions`` spends seconds of
        Python on a file of 20,000 rows)."""
        using = router.db_for_write(LogEntry)
        if self.get_skip_admin_log() or not can_insert_in_bulk(connections[using]):
            return super().generate_log_entries(result, request)
        flags = {RowResult.IMPORT_TYPE_NEW: ADDITION, RowResult.IMPORT_TYPE_UPDATE: CHANGE,
                 RowResult.IMPORT_TYPE_DELETE: DELETION}
        now = timezone.now()
        entries = [
            LogEntry(
                action_time=now, user_id=request.user.pk,
                content_type_id=ContentType.objects.get_for_model(row.instance, for_concrete_model=False).pk,
                object_id=str(row.instance.pk), object_repr=str(row.instance)[:200], action_flag=flags[row.import_type],
                change_message=f"{row.import_type} through import_export",
            )
            for row in result
            if row.import_type in flags and row.instance is not None
        ]
        insert_in_bulk(LogEntry, entries, using=using, batch_size=IMPORT_BATCH_SIZE)

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            # The previewed file is kept in this server's temporary folder until confirmed; it
            # is gone if the server restarted or the confirmation reached another server.
            self.message_user(request, "The checked file is no longer on the server; upload it again.", messages.ERROR)
            return redirect(self._import_url())

    def process_dataset(self, dataset, form, request, **kwargs):
        """A confirmed file of more than ``HARDFIN_IMPORT_JOB_ROWS`` rows is imported by a
        background job (the confirmation's temporary file name is its key: confirming twice
        starts it once); smaller ones here, as before."""
        if len(dataset) <= settings.HARDFIN_IMPORT_JOB_ROWS:
            return super().process_dataset(dataset, form, request, **kwargs)
        from . import jobs

        classes = self.get_import_resource_classes(request)
        chosen = self.choose_import_resource_class(form, request)
        return jobs.start(
            kind="import", task="hardfin.import_csv", user=request.user,
            key=f"import:{request.user.pk}:{form.cleaned_data['import_file_name']}",
            params={"model": self.opts.label, "resource": classes.index(chosen) if chosen in classes else 0,
                    "file_name": form.cleaned_data.get("original_file_name"), "path": request.path},
            input_text=dataset.csv, total=len(dataset),
            next_url=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
        )

    def _import_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def process_result(self, result, request):
        from .models import Job

        if isinstance(result, Job):
            return redirect(f"/jobs/{result.pk}/")
        if result.has_errors() or result.has_validation_errors():
            # The data changed between the preview and the confirmation: nothing was saved.
            self.message_user(request, import_failure_message(result), messages.ERROR)
            return redirect(self._import_url())
        return super().process_result(result, request)


def import_failure_message(result) -> str:
    problems = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        problems += [f"row {number}: {error.error}" for error in errors]
    for row in result.invalid_rows:
        for field, field_messages in row.error_dict.items():
            label = "" if field == "__all__" else f" {field}"
            problems += [f"row {row.number}{label}: {message}" for message in field_messages]
    return "Nothing was imported: " + "; ".join(problems)


# --- list filters -------------------------------------------------------------------------------

def other_params(changelist, own: list[str]) -> list[tuple[str, str]]:
    """The changelist's other filters, search and ordering, for a filter's form to submit as
    hidden fields so they stay applied."""
    return [
        (name, value)
        for name, values in changelist.filter_params.items()
        if name not in own
        for value in values
    ]


class InputFilter(admin.SimpleListFilter):
    """A text box instead of a list of links, for values with too many choices (SKUs)."""

    template = "admin/hardfin/input_filter.html"

    def lookups(self, request, model_admin):
        # One placeholder entry: SimpleListFilter shows itself only when it has choices.
        return [("", "")]

    def choices(self, changelist):
        yield {
            "parameter_name": self.parameter_name,
            "value": self.value() or "",
            "hidden_params": other_params(changelist, [self.parameter_name]),
            "clear_query_string": changelist.get_query_string(remove=[self.parameter_name]),
        }


class SkuFilter(InputFilter):
    """Rows of one item, by SKU in any case (every filtered model has an ``item``)."""

    title = "SKU"
    parameter_name = "sku"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(item__sku__iexact=value) if value else queryset


class ShowEmptyFilter(admin.SimpleListFilter):
    """Rows at zero (empty lots, item-locations that once held stock) are hidden unless asked
    for, as in the staff pages."""

    title = "empty rows"
    parameter_name = "show_empty"
    default_label = "Only non-zero rows"
    show_label = "Show empty rows too"

    def lookups(self, request, model_admin):
        return [("1", self.show_label)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset.exclude(quantity=0)
        # Any value but "1" is unknown and matches nothing, as in the API and the pages.
        return queryset if self.value() == "1" else queryset.none()

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        choices[0]["display"] = self.default_label  # the default, without the parameter
        return choices


class DateRangeFilter(admin.ListFilter):
    """From and to dates (both inclusive, in the site's time zone) on one date-time field."""

    template = "admin/hardfin/date_range_filter.html"
    field_path: str = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.expected_parameters():
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]

    @classmethod
    def on(cls, field_path: str, title: str):
        return type(f"{field_path.title()}RangeFilter", (cls,), {"field_path": field_path, "title": title})

    def expected_parameters(self):
        return [f"{self.field_path}_from", f"{self.field_path}_to"]

    def has_output(self):
        return True

    def _day_start(self, name: str, days_later: int = 0):
        text = (self.used_parameters.get(name) or "").strip()
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise IncorrectLookupParameters(f"{text!r} is not a date (YYYY-MM-DD).")
        if days_later and day >= datetime.date.max - datetime.timedelta(days=days_later):
            return None  # up to the end of time: no bound
        start = datetime.datetime.combine(day + datetime.timedelta(days=days_later), datetime.time.min)
        return timezone.make_aware(start)

    def queryset(self, request, queryset):
        since = self._day_start(f"{self.field_path}_from")
        until = self._day_start(f"{self.field_path}_to", days_later=1)
        if since:
            queryset = queryset.filter(**{f"{self.field_path}__gte": since})
        if until:
            queryset = queryset.filter(**{f"{self.field_path}__lt": until})
        return queryset

    def choices(self, changelist):
        from_name, to_name = self.expected_parameters()
        yield {
            "from_name": from_name,
            "from_value": self.used_parameters.get(from_name, ""),
            "to_name": to_name,
            "to_value": self.used_parameters.get(to_name, ""),
            "hidden_params": other_params(changelist, [from_name, to_name]),
            "clear_query_string": changelist.get_query_string(remove=[from_name, to_name]),
        }
