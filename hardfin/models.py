"""Plumbing shared by every API write: the record behind the ``Idempotency-Key`` header."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a user sent with a write, and the response it got.

    The row is inserted (and committed) before the write runs, so a second request with the
    same key finds it; the response is stored in the same transaction as the write itself, so
    a key is either completed together with what it recorded, or not at all.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2048)
    #: SHA-256 of method, path and body: the same key may only ever repeat the same request.
    fingerprint = models.CharField(max_length=64)
    #: None until the first request with this key has finished.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    #: The JSON text of that first response, replayed byte for byte.
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_user_key_unique"),
        ]

    def __str__(self):
        state = self.status_code or "running"
        return f"{self.key} ({self.method} {self.path}: {state})"

    @property
    def is_completed(self) -> bool:
        return self.status_code is not None
