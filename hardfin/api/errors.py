"""The API's one mapping from errors to HTTP responses (``EXCEPTION_HANDLER``).

Every error body is a JSON object with a human-readable ``detail``:
- 400: ``{"<field>": ["message", ...], ..., "detail": "..."}``; errors that belong to no field
  go under ``non_field_errors``; errors of receipt and build lines come back as a list with
  one object per line (``{"lines": [{}, {"quantity": ["..."]}]}``);
- 409, 422, 429, 503 also carry a machine-readable ``code``;
- 503 ``busy`` (with ``Retry-After``) when the database stayed locked through every retry or
  cannot be reached at all (a lost connection, a restarting server);
- 409 ``insufficient_stock`` adds the first shortage at the top level and every shortage
  under ``shortages``, quantities as decimal strings.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from hardfin.db import is_unavailable
from hardfin.errors import (
    ConflictError,
    DatabaseBusy,
    InsufficientStock,
    InvalidInput,
    InventoryError,
    PermissionDeniedError,
)
from hardfin.quantities import fmt
from hardfin.views import DATABASE_UNAVAILABLE

from .parsers import RequestTooLarge

logger = logging.getLogger(__name__)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class CodedError(exceptions.APIException):
    """An API error whose body carries a machine-readable ``code`` besides ``detail``, and
    any ``extra`` fields."""

    def __init__(self, detail=None, *, code: str | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.body_code = code or self.default_code
        self.extra = extra or {}


class Conflict(CodedError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Busy(CodedError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "busy"
    default_detail = "The database is busy; please try again."


def exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a 500 for the logs, never dressed up as bad input
    if isinstance(exc, CodedError):
        response.data = {"code": exc.body_code, "detail": str(exc.detail), **exc.extra}
    elif isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(response.data)
    elif isinstance(exc, exceptions.Throttled):
        response.data = {"code": "throttled", **response.data}
    elif not isinstance(response.data, dict):
        response.data = {"detail": str(response.data)}
    if isinstance(exc, Busy):
        response["Retry-After"] = "1"
    return response


def _as_api_exception(exc):
    """Domain errors from the services, as the API exceptions that stand for them."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if is_unavailable(exc):
        logger.warning("database unavailable: %s", exc)
        return Busy(DATABASE_UNAVAILABLE)
    if not isinstance(exc, InventoryError):
        return exc
    if isinstance(exc, InsufficientStock):
        return Conflict(exc.message, code=exc.code, extra=insufficient_stock_fields(exc))
    if isinstance(exc, ConflictError):
        return Conflict(exc.message, code=exc.code)
    if isinstance(exc, DatabaseBusy):
        return Busy(exc.message)
    if isinstance(exc, PermissionDeniedError):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, InvalidInput):
        return exceptions.ValidationError(invalid_input_errors(exc))
    return exc


def insufficient_stock_fields(exc: InsufficientStock) -> dict:
    def shortage(s):
        return {"sku": s.sku, "location": s.location, "requested": fmt(s.requested), "available": fmt(s.available)}

    return {**shortage(exc), "shortages": [shortage(s) for s in exc.shortages]}


def invalid_input_errors(exc: InvalidInput) -> dict:
    """``{field: [message]}``; an error about one receipt or build line is placed at its index
    in ``lines`` (services say which line through ``exc.line``)."""
    errors = {exc.field or NON_FIELD: [exc.message]}
    line = getattr(exc, "line", None)
    if line is not None:
        return {"lines": [{} for _ in range(line)] + [errors]}
    return errors


def validation_body(data) -> dict:
    """A 400 body: field errors as DRF collected them, plus one readable ``detail``."""
    if not isinstance(data, dict):
        data = {NON_FIELD: list(data) if isinstance(data, list) else [data]}
    messages = list(_messages(data))
    detail = " ".join(f"{path}: {message}" if path and path != NON_FIELD else message for path, message in messages)
    return {**data, "detail": detail or "Invalid input."}


def _messages(errors, path: str = ""):
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _messages(value, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, (dict, list)):
                yield from _messages(value, f"{path}[{index}]")
            else:
                yield path, str(value)
    else:
        yield path, str(errors)
