"""The job tasks of the project package: a CSV export written to a file, and an admin CSV
import. Both reach the apps only through Django's registries (the URLconf, the admin site), by
what the job recorded: an export's path and query, an import's model label."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import RequestFactory
from django.urls import resolve

from . import jobs
from .errors import InventoryError


def _request(job, path: str, query: dict | None = None, method: str = "get"):
    """A request to ``path`` made by the job's user, as the web request that started it was."""
    factory = RequestFactory()
    request = getattr(factory, method)(path, query or {})
    request.user = get_user_model().objects.get(pk=job.created_by_id)
    return request


@jobs.job_task("hardfin.export_csv")
def export_csv(job) -> None:
    """Write the export the job's request asked for: the same view answers it, so the file
    holds the very bytes the synchronous export streams."""
    path, query = job.params["path"], job.params.get("query", [])
    factory = RequestFactory()
    request = factory.get(path + ("?" + urlencode([tuple(pair) for pair in query]) if query else ""))
    request.user = get_user_model().objects.get(pk=job.created_by_id)
    match = resolve(path)
    response = match.func(request, *match.args, **match.kwargs)
    if response.status_code != 200 or not response.streaming:
        detail = getattr(response, "data", None)
        raise InventoryError(f"The export could not be written (status {response.status_code}: {detail}).")
    lines = 0

    def chunks():
        # No progress written meanwhile: on PostgreSQL the rows come from a COPY, which holds
        # the connection until its last row (the job's row count is written at the end).
        nonlocal lines
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
            yield chunk

    name = job.params.get("filename") or "export.csv"
    relative, _size = jobs.write_result(job, name, chunks())
    # The stream is read to its end, which closed its cursor. Not ``response.close()``: that
    # sends request_finished, which closes the database connection under an eager job's
    # request (and a test's transaction).
    rows = max(lines - 1, 0)
    jobs.finish(job, summary=f"{rows} rows written.", result_path=relative, result_name=name,
                result_type=response.get("Content-Type", "text/csv"), done=rows)


@jobs.job_task("hardfin.import_csv")
def import_csv(job) -> None:
    """Import the file the admin's user previewed and confirmed, all or nothing, in one
    transaction together with the job's ``done``."""
    from django.apps import apps
    from import_export.formats import base_formats

    from .admin import import_failure_message

    model = apps.get_model(job.params["model"])
    model_admin = admin.site._registry[model]
    request = _request(job, job.params.get("path", "/admin/"), method="post")
    resource_classes = model_admin.get_import_resource_classes(request)
    resource_class = resource_classes[int(job.params.get("resource", 0))]
    resource = resource_class(**model_admin.get_import_resource_kwargs(request))
    dataset = base_formats.CSV().create_dataset(job.input_text)
    jobs.progress(job, 0, len(dataset))
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=False, file_name=job.params.get("file_name"),
                                      user=request.user, retain_instance_in_row_result=True)
        if result.has_errors() or result.has_validation_errors():
            transaction.set_rollback(True)
            message = import_failure_message(result)
        else:
            model_admin.generate_log_entries(result, request)
            totals = result.totals
            summary = ", ".join(f"{totals[kind]} {kind}" for kind in ("new", "update", "skip") if totals.get(kind))
            jobs.finish(job, summary=f"Imported {len(dataset)} rows ({summary}).", done=len(dataset))
            return
    jobs.fail(job, message)
