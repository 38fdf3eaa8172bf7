"""``Idempotency-Key`` on API writes: a client that is not sure its request arrived sends it
again with the same key and gets the first response, while nothing new is recorded.

How one key runs at most once, on PostgreSQL (READ COMMITTED) and SQLite alike:

1. *Claim*, in its own short transaction: insert the ``(user, key)`` row, or find the one a
   first request inserted (the unique constraint makes a concurrent insert wait for the
   other's commit, then fail over to reading it). A different method, path or body under
   the same key is refused at once (422).
2. *Run*, in a second transaction: lock that row with ``SKIP LOCKED``. Not getting it means
   another request with this key is running now (409). Once locked, a stored response is
   replayed; otherwise the write runs and its response is stored in that same transaction,
   so the key is completed exactly when the movement is committed. A first attempt that
   crashed or answered 5xx left no response, so a retry with the same key runs the write.

SQLite has one writer at a time and no row locks: a second request waits for the first to
commit instead of being told it is running, then gets the replay — still one movement.
Keys are kept 24 hours; an expired key of the same user is forgotten when reused.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer

from hardfin.db import retry_on_conflict
from hardfin.models import IdempotencyKey

from .errors import CodedError

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
#: How long a key stays bound to its first request (the contract promises at least 24 h).
TTL = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(CodedError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = (
        "This Idempotency-Key was already used for a different request; "
        "send a new key for a new action."
    )


class IdempotencyKeyInUse(CodedError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_use"
    default_detail = "A request with this Idempotency-Key is still running; try again shortly."


def idempotent(handler):
    """Decorate a write handler (``post``, ``create``, ``partial_update``, ``destroy``) of a
    DRF view so it honours the ``Idempotency-Key`` header. It runs after authentication,
    permission and throttling checks; a request without the header runs as it is."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        check_key(key)
        fingerprint = request_fingerprint(request)
        record = _claim(user=request.user, key=key, method=request.method, path=request.path,
                        fingerprint=fingerprint)
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()

        def respond():
            try:
                return handler(view, request, *args, **kwargs)
            except OperationalError:
                raise  # a lost race: _run_once starts the whole transaction again
            except Exception as exc:  # mapped like any API error; re-raised if it is not one
                return view.handle_exception(exc)

        return _run_once(record.pk, respond)

    wrapper.idempotent = True  # read by the schema, which documents the header
    return wrapper


def check_key(key: str) -> None:
    if not (1 <= len(key) <= MAX_LENGTH and key.isascii() and key.isprintable()):
        raise exceptions.ValidationError(
            {"idempotency_key": [f"The {HEADER} header must be 1 to {MAX_LENGTH} printable ASCII characters."]}
        )


def request_fingerprint(request) -> str:
    """Method, path and body; the body as parsed, so spacing and key order do not matter."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


@retry_on_conflict
@transaction.atomic
def _claim(*, user, key: str, method: str, path: str, fingerprint: str) -> IdempotencyKey:
    IdempotencyKey.objects.filter(user=user, created_at__lt=timezone.now() - TTL).delete()
    record, _ = IdempotencyKey.objects.get_or_create(
        user=user, key=key, defaults={"method": method, "path": path, "fingerprint": fingerprint}
    )
    return record


@retry_on_conflict
def _run_once(record_pk: int, respond):
    with transaction.atomic():
        record = IdempotencyKey.objects.select_for_update(skip_locked=True).filter(pk=record_pk).first()
        if record is None:
            raise IdempotencyKeyInUse()
        if record.is_completed:
            return _replay(record)
        response = respond()
        if response.status_code < 500:
            # A 5xx recorded nothing and may succeed when retried with the same key.
            record.status_code = response.status_code
            record.response_body = _render(response)
            record.completed_at = timezone.now()
            record.save(update_fields=["status_code", "response_body", "completed_at"])
        return response


def _render(response) -> str:
    data = getattr(response, "data", None)
    return "" if data is None else JSONRenderer().render(data).decode()


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(record.response_body, status=record.status_code,
                            content_type="application/json" if record.response_body else None)
    response[REPLAYED_HEADER] = "true"
    return response
