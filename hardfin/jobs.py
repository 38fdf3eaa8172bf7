"""Background jobs: starting them, the runner every job task shares, and their result files.

A job is a ``Job`` row naming a Celery task by its name. ``start`` records it (once per
``key``) and hands it to Celery: to the broker's queue when ``CELERY_BROKER_URL`` is set, or
run at once, eagerly, in the calling process when it is not.

Every task is idempotent and resumable, by one rule: **a job's work and its ``done`` are
committed in one transaction** (``finish`` is called inside the task's ``transaction.atomic``).
A job killed before that commit leaves nothing of its work behind; run again (``manage.py
jobs_resume``, or the broker's redelivery of an unacknowledged task) it does all of it, once.
A job already done is never run again. Result files are written under a temporary name and
renamed into place, so a rerun replaces a half-written file with the whole one.
"""

from __future__ import annotations

import datetime
import logging
import os
import uuid
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .errors import InventoryError
from .models import Job

logger = logging.getLogger(__name__)

_tasks_loaded = False


def _task(name: str):
    """The registered Celery task called ``name`` (every app's ``tasks`` module loaded first)."""
    global _tasks_loaded
    from .celery import app

    if not _tasks_loaded:
        app.loader.import_default_modules()
        _tasks_loaded = True
    return app.tasks[name]


def start(*, kind: str, task: str, user, key: str | None = None, params: dict | None = None,
          input_text: str = "", total: int | None = None, next_url: str = "") -> Job:
    """The job called ``key`` (a new one, queued, if there is none yet; the same one, queued
    again, if it failed). Run now when Celery is eager; otherwise sent to the queue once the
    current transaction commits."""
    job, created = Job.objects.get_or_create(
        key=key or uuid.uuid4().hex,
        defaults={"kind": kind, "task": task, "params": params or {}, "input_text": input_text,
                  "total": total, "created_by": user, "next_url": next_url},
    )
    if not created and job.status == Job.Status.FAILED:
        # Asked again after a failure (a count posted once its lines were counted): try again.
        created = Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
            status=Job.Status.QUEUED, error="", finished_at=None, params=params or job.params) == 1
    if created:
        enqueue(job)
        job.refresh_from_db()
    return job


def enqueue(job: Job) -> None:
    task = _task(job.task)
    if task.app.conf.task_always_eager:
        task.apply(args=[job.pk])
    else:
        transaction.on_commit(lambda: task.apply_async(args=[job.pk]))


def job_task(name: str):
    """Make ``func(job)`` the Celery task ``name``, run through ``run``. ``func`` does its
    work in a transaction and calls ``finish(job, ...)`` inside it."""

    def decorate(func):
        @shared_task(name=name, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
        def celery_task(job_id: int):
            return run(job_id, func)

        celery_task.work = func
        return celery_task

    return decorate


def run(job_id: int, func) -> str:
    """Run job ``job_id`` with ``func`` unless it is already finished; a domain error (or any
    other) marks it failed with its message."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job.status if job else "missing"
    Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING, started_at=timezone.now(),
                                         attempts=F("attempts") + 1, progress=0, error="")
    job.refresh_from_db()
    try:
        func(job)
    except InventoryError as error:
        fail(job, error.message)
    except Exception as error:  # noqa: BLE001 - the job's page must say it failed
        logger.exception("job %s (%s) failed", job.pk, job.task)
        fail(job, f"The job failed unexpectedly ({type(error).__name__}); nothing of it was recorded.")
    job.refresh_from_db()
    return job.status


def progress(job: Job, done: int, total: int | None = None) -> None:
    """Tell the status page how far the job is (committed at once when outside a transaction)."""
    changes = {"progress": done}
    if total is not None:
        changes["total"] = total
    Job.objects.filter(pk=job.pk).update(**changes)


def finish(job: Job, *, summary: str = "", result_path: str = "", result_name: str = "",
           result_type: str = "", done: int | None = None) -> None:
    """Mark ``job`` done: call it inside the transaction of the job's work."""
    changes = {"status": Job.Status.DONE, "finished_at": timezone.now(), "summary": summary,
               "result_path": result_path, "result_name": result_name, "result_type": result_type}
    if done is not None:
        changes.update(progress=done, total=done)
    Job.objects.filter(pk=job.pk).update(**changes)


def fail(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, finished_at=timezone.now(), error=message)


def jobs_dir() -> Path:
    return Path(settings.JOBS_DIR)


def result_file(job: Job) -> Path | None:
    if not job.result_path:
        return None
    return jobs_dir() / job.result_path


def write_result(job: Job, name: str, chunks) -> tuple[str, int]:
    """Write ``chunks`` (bytes or text) to the job's result file, under a temporary name first;
    returns the path relative to ``JOBS_DIR`` and the bytes written."""
    relative = f"{job.pk}/{name}"
    target = jobs_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    size = 0
    with open(partial, "wb") as out:
        for chunk in chunks:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            out.write(data)
            size += len(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    return relative, size


def resume(*, older_than_seconds: int = 0) -> list[Job]:
    """Send again every job left queued or running (by a worker that died): they start over,
    and their transactions make sure nothing is recorded twice."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    jobs = list(Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING], created_at__lte=cutoff))
    for job in jobs:
        Job.objects.filter(pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
            status=Job.Status.QUEUED)
        enqueue(job)
    return jobs
