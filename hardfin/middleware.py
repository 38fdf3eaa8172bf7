"""Middleware of the project itself: every error under /api/ is JSON, and a lost database is
a 503, not a 500."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse

from .db import is_unavailable
from .views import database_unavailable, is_api

logger = logging.getLogger(__name__)

#: Headers an error keeps when its body is rewritten as JSON.
KEPT_HEADERS = {"allow", "retry-after", "www-authenticate", "vary", "cache-control"}


class ApiErrorsAreJsonMiddleware:
    """The last word on errors under /api/ (API.md: every error body is JSON with a
    human-readable ``detail``). The API's views, its exception handler and the project's
    error handlers already answer JSON; any other error response that reaches here — from a
    view that renders HTML or YAML (the docs page, the schema), or from middleware — is
    rewritten as ``{"detail": ...}``, keeping its status and headers such as ``Allow``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request) or _is_json(response):
            return response
        return as_json(response)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def as_json(response) -> JsonResponse:
    data = getattr(response, "data", None)  # a DRF response rendered as something else
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        body = {key: str(value) for key, value in data.items() if isinstance(value, str)}
    else:
        body = {"detail": response.reason_phrase}
    rewritten = JsonResponse(body, status=response.status_code)
    for name, value in response.items():
        if name.lower() in KEPT_HEADERS:
            rewritten[name] = value
    return rewritten


class DatabaseUnavailableMiddleware:
    """A view that lost the database (the server restarted, the connection was terminated,
    too many connections) answers 503 with ``Retry-After`` — JSON ``{"code": "busy"}`` under
    /api/, a plain page elsewhere — instead of a 500 traceback: the request was not wrong,
    and trying again later may work. (The API's exception handler does the same for its
    views; ``handler500`` for errors outside any view.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_unavailable(exception):
            return None
        logger.warning("database unavailable during %s %s: %s", request.method, request.path, exception)
        return database_unavailable(request)


class ReplicaPinningMiddleware:
    """With a read replica (hardfin/db_router.py): a request that writes — any non-safe
    method, or any write through the router — reads from the primary for the rest of the
    request, and its client (the ``hardfin_pin`` cookie) for REPLICA_PIN_SECONDS after, so
    nobody misses their own write while the replica catches up. Without one it does nothing."""

    SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import db_router

        if not db_router.replica_configured():
            return self.get_response(request)
        with db_router.request_scope():
            if request.method not in self.SAFE_METHODS:
                db_router.pin()
            elif db_router.pinned_by_cookie(request.COOKIES.get(db_router.PIN_COOKIE)):
                db_router.pin(wrote=False)
            response = self.get_response(request)
            if db_router.wrote():
                seconds = getattr(settings, "HARDFIN_REPLICA_PIN_SECONDS", 5)
                if seconds:
                    response.set_cookie(db_router.PIN_COOKIE, db_router.pin_until(seconds=seconds),
                                        max_age=seconds, httponly=True, samesite="Lax",
                                        secure=settings.SESSION_COOKIE_SECURE)
            return response


def prefers_async(request) -> bool:
    """``Prefer: respond-async`` (RFC 7240), among the header's preferences."""
    preferences = request.headers.get("Prefer", "")
    return any(part.split("=")[0].strip().lower() == "respond-async"
               for item in preferences.split(",") for part in item.split(";")[:1])


class RespondAsyncMiddleware:
    """A GET of one of the ``HARDFIN_ASYNC_EXPORTS`` with ``Prefer: respond-async`` answers
    ``202 Accepted`` with ``Location: /api/jobs/<id>/``: a job writes the file, and the client
    downloads it from the job. The view runs first, with its own authentication, permissions,
    throttles and parameter checks; only an export it would have answered (200, streamed)
    becomes a job, and its stream is dropped unread. Without the header nothing changes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (request.method != "GET" or request.path not in settings.HARDFIN_ASYNC_EXPORTS
                or not prefers_async(request)):
            return self.get_response(request)
        response = self.get_response(request)
        if response.status_code != 200 or not getattr(response, "streaming", False):
            return response
        # The stream is dropped unread. Not ``response.close()``: that sends request_finished,
        # which closes the database connection in the middle of this request (and ends a
        # test's transaction). The export's generators open their cursors only when iterated,
        # so an unread stream holds nothing.
        from . import jobs

        disposition = response.get("Content-Disposition", "")
        filename = disposition.split("filename=")[-1].strip('"') if "filename=" in disposition else "export.csv"
        key = request.headers.get("Idempotency-Key")
        job = jobs.start(
            kind="export", task="hardfin.export_csv", user=request.user,
            key=f"export:{request.user.pk}:{key}" if key else None,
            params={"path": request.path,
                    "query": [(name, value) for name, values in request.GET.lists() for value in values],
                    "filename": filename},
        )
        body = JsonResponse(job_json(job, request), status=202)
        body["Location"] = f"/api/jobs/{job.pk}/"
        body["Preference-Applied"] = "respond-async"
        return body


def job_json(job, request=None) -> dict:
    """What ``GET /api/jobs/<id>/`` answers."""
    from django.utils import timezone

    def moment(value):
        return timezone.localtime(value).isoformat() if value else None

    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "total": job.total,
        "error": job.error or None,
        "url": f"/api/jobs/{job.pk}/",
        "page_url": f"/jobs/{job.pk}/",
        "result_url": f"/api/jobs/{job.pk}/result" if job.status == "done" and job.result_path else None,
        "created": moment(job.created_at),
        "finished": moment(job.finished_at),
    }
