"""Views of the project itself: the health check, and the answers Django gives when no view
does — unknown paths, refused or broken requests, server errors, a lost database. Under
``/api/`` every one of them is JSON with a readable ``detail`` (as API.md promises of every
error); elsewhere it is a page."""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import JsonResponse
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from .db import is_unavailable

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
#: Seconds a client is asked to wait before trying again after a 503.
RETRY_AFTER = "1"
DATABASE_UNAVAILABLE = "The database is unavailable right now; nothing was recorded. Please try again shortly."


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, detail: str, code: str | None = None) -> JsonResponse:
    body = {"code": code, "detail": detail} if code else {"detail": detail}
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def healthz(request):
    """Liveness and database reachability for load balancers; no authentication."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to reach the database means "not healthy"
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def database_unavailable(request, detail: str = DATABASE_UNAVAILABLE):
    """503 with ``Retry-After``: JSON ``{"code": "busy"}`` under /api/, a plain page elsewhere
    (rendered without the request: its context would ask the database who is signed in)."""
    if is_api(request):
        response = api_error(503, detail, code="busy")
    else:
        response = defaults.server_error(request, template_name="503.html")
        response.status_code = 503
    response["Retry-After"] = RETRY_AFTER
    return response


@requires_csrf_token
def bad_request(request, exception, template_name="400.html"):
    """``handler400``: a request Django refuses before any view runs (a disallowed Host, a
    body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many form fields)."""
    too_large = isinstance(exception, RequestDataTooBig)
    if is_api(request):
        if too_large:
            return api_error(413, "The request body is too large.")
        return api_error(400, "Bad request.")
    response = defaults.bad_request(request, exception, template_name)
    if too_large:
        response.status_code = 413
    return response


@requires_csrf_token
def permission_denied(request, exception, template_name="403.html"):
    """``handler403``."""
    if is_api(request):
        return api_error(403, "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception, template_name)


@requires_csrf_token
def page_not_found(request, exception, template_name="404.html"):
    """``handler404``: also what answers a path no URL pattern matches."""
    if is_api(request):
        return api_error(404, "Not found.")
    return defaults.page_not_found(request, exception, template_name)


@requires_csrf_token
def server_error(request, template_name="500.html"):
    """``handler500``, called while the exception is being handled: a database that went away
    is a 503 (try again), anything else a 500 (a bug, in the logs)."""
    exc = sys.exc_info()[1]
    if exc is not None and is_unavailable(exc):
        return database_unavailable(request)
    if is_api(request):
        return api_error(500, "A server error occurred; it has been logged.", code="server_error")
    return defaults.server_error(request, template_name)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``. The API's own views check CSRF themselves (for session
    sign-in only) and answer 403 JSON; this covers anything else under /api/."""
    if is_api(request):
        return api_error(403, f"CSRF Failed: {reason}")
    return csrf.csrf_failure(request, reason)
