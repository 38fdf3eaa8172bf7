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


class Job(models.Model):
    """A background job: an import, an export or a count posting too large for a web request.

    The job names the Celery task that does its work (``task``, a task name such as
    ``hardfin.export_csv``), never an app's code, and carries what that task needs
    (``params``, and ``input_text`` for an uploaded file). ``key`` is unique: starting the
    same job twice (a double click, a retried request) finds the first one.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=40)
    task = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    input_text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    #: The result file, relative to ``JOBS_DIR``; its download name and type.
    result_path = models.CharField(max_length=255, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    #: Where the user goes from the status page once the job is done (an import's list).
    next_url = models.CharField(max_length=2048, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"job {self.pk} ({self.kind}: {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def visible_to(self, user) -> bool:
        return bool(user and user.is_authenticated and user.is_active
                    and (user.is_superuser or user.pk == self.created_by_id))
