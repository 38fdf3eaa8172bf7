"""Background jobs on the real thing: a Celery worker process and a Redis broker of the test
run's own, against the PostgreSQL test database (transactional tests, so the worker sees what
the test wrote): a 20,000-row admin import completes as a job, an export job's file is the
synchronous export byte for byte, and a worker killed (SIGKILL) in the middle of an import,
then ``jobs_resume`` and a new worker, record every row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from hardfin.celery import app as celery_app
from hardfin.models import Job
from inventory.models import Item
from movements.services import Line, receipt_create
from tests.admin_support import csv_file, import_confirm, import_preview, signed_in
from tests.api_support import client_for
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000


def items_csv(rows: int) -> str:
    return "sku,name,description,unit,fractional,is_active\n" + "".join(
        f"W-{n:06d},Part {n},Spare part,ea,false,true\n" for n in range(rows))


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def broker(redis_server, settings, tmp_path):
    """Celery in this process sends to the throw-away Redis instead of running eagerly."""
    settings.JOBS_DIR = tmp_path / "jobs"
    url = redis_server.url(1)
    saved = {"task_always_eager": celery_app.conf.task_always_eager, "broker_url": celery_app.conf.broker_url}
    celery_app.conf.update(task_always_eager=False, broker_url=url)
    # Nothing left from an earlier test in the queue.
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    yield url
    celery_app.conf.update(**saved)


class Worker:
    def __init__(self, broker_url: str, jobs_dir: Path, log: Path):
        env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": broker_url,
               "JOBS_DIR": str(jobs_dir), "SECRET_KEY": "hardfin-test-only-key", "DEBUG": "0"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hardfin", "worker", "--pool=solo", "--loglevel=info",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def worker_factory(broker, tmp_path, settings):
    started = []

    def start() -> Worker:
        worker = Worker(broker, Path(settings.JOBS_DIR), tmp_path / "worker.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(job_id: int, statuses: set[str], log: Path, timeout: float = 300) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status} after {timeout} s; worker log:\n{log.read_text()[-4000:]}")


def start_import(manager) -> tuple[int, object]:
    client = signed_in(manager)
    preview = import_preview(client, Item, items_csv(ROWS))
    assert "confirm_form" in preview.context
    done = import_confirm(client, Item, preview)
    assert done.status_code == 302 and done["Location"].startswith("/jobs/")
    return int(done["Location"].rstrip("/").split("/")[-1]), client


def test_a_20000_row_import_completes_as_a_job_on_a_real_worker(manager, worker_factory, tmp_path):
    job_id, client = start_import(manager)
    assert Job.objects.get(pk=job_id).status == "queued"  # nothing ran in the request
    assert not Item.objects.exists()
    worker = worker_factory()
    job = wait_for(job_id, {"done", "failed"}, worker.log)
    assert job.status == "done", job.error
    assert (job.progress, job.total) == (ROWS, ROWS)
    assert Item.objects.count() == ROWS
    page = client.get(f"/jobs/{job_id}/").content.decode()
    assert "Imported 20000 rows" in page and 'http-equiv="refresh"' not in page


def test_an_export_jobs_file_is_the_synchronous_export(manager, worker_factory):
    supplier, location = SupplierFactory(code="ACME"), LocationFactory(code="CHI")
    items = [ItemFactory(sku=f"E-{n:05d}", name=f"Part {n}") for n in range(3000)]
    receipt_create(supplier=supplier, location=location, po_number="PO-1",
                   lines=[Line(item, str(n % 7 + 1)) for n, item in enumerate(items)], user=manager)
    api = client_for(manager)
    synchronous = b"".join(api.get("/api/stock/export.csv").streaming_content)
    assert synchronous.count(b"\n") == 3001
    accepted = api.get("/api/stock/export.csv", HTTP_PREFER="respond-async")
    assert accepted.status_code == 202
    worker = worker_factory()
    job_id = accepted.json()["id"]
    job = wait_for(job_id, {"done", "failed"}, worker.log)
    assert job.status == "done", job.error
    state = api.get(accepted["Location"]).json()
    assert state["status"] == "done" and state["progress"] == 3000
    download = api.get(state["result_url"])
    assert b"".join(download.streaming_content) == synchronous


def test_a_worker_killed_mid_import_and_the_job_resumed_records_every_row_once(manager, worker_factory):
    job_id, _client = start_import(manager)
    first = worker_factory()
    wait_for(job_id, {"running", "done", "failed"}, first.log, timeout=120)
    time.sleep(0.5)
    first.kill()
    job = Job.objects.get(pk=job_id)
    assert job.status == "running", "the import finished before the kill: the test proved nothing"
    # The killed worker's transaction died with its connection: nothing of the file is there.
    deadline = time.monotonic() + 10
    while Item.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Item.objects.exists()
    call_command("jobs_resume")
    second = worker_factory()
    job = wait_for(job_id, {"done", "failed"}, second.log)
    assert job.status == "done", job.error
    assert job.attempts >= 2
    assert Item.objects.count() == ROWS
    assert Item.objects.values("sku").distinct().count() == ROWS
    # The broker may still hold the killed worker's unacknowledged delivery: run again, the
    # finished job does nothing.
    call_command("jobs_resume")
    time.sleep(2)
    assert Item.objects.count() == ROWS and Job.objects.get(pk=job_id).status == "done"


def test_an_opening_balances_file_past_the_limit_is_recorded_by_a_real_worker(manager, worker_factory):
    """The opening-balances confirmation of a file past HARDFIN_IMPORT_JOB_ROWS (its default,
    2,000) only queues the job; the worker records every row, once."""
    from movements.models import Movement
    from tests.helpers import level

    location = LocationFactory(code="CHI")
    Item.objects.bulk_create(Item(sku=f"O-{n:05d}", name=f"Part {n}") for n in range(2500))
    text = "sku,location,quantity\n" + "".join(f"O-{n:05d},CHI,{n % 9 + 1}\n" for n in range(2500))
    client = signed_in(manager)
    url = "/admin/movements/movement/opening-balances/"
    preview = client.post(url, {"file": csv_file(text)})
    assert preview.context["valid_rows"] == 2500
    form = preview.context["confirm_form"]
    confirmation = {name: str(form.initial[name]) for name in form.initial}
    done = client.post(url, confirmation)
    assert done.status_code == 302 and done["Location"].startswith("/jobs/")
    job_id = int(done["Location"].rstrip("/").split("/")[-1])
    assert Job.objects.get(pk=job_id).status == "queued" and not Movement.objects.exists()
    worker = worker_factory()
    job = wait_for(job_id, {"done", "failed"}, worker.log)
    assert job.status == "done", job.error
    assert Movement.objects.count() == 2500
    assert level(Item.objects.get(sku="O-02499"), location) == 2499 % 9 + 1
    assert client.post(url, confirmation)["Location"] == done["Location"]  # confirmed again: the same job
    assert Movement.objects.count() == 2500
    call_command("reconcile")


def _bench_data():
    """bench/scale_data.py, the benchmark's SQL generator of a consistent large data set."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scale_data", ROOT / "bench" / "scale_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digest(chunks) -> tuple[str, int]:
    import hashlib

    digest, lines = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def test_an_export_of_a_million_rows_completes_as_a_job_on_a_real_worker(manager, worker_factory):
    """Issue 14's "exports of 1M rows complete as jobs": 205,000 items at 5 locations, made
    with the benchmark's generator (every tenth item's first location is empty, so the export
    lists 1,004,500 of their 1,025,000 stock levels); the job's file is the synchronous export,
    byte for byte."""
    from inventory.models import StockLevel

    _bench_data().generate(205_000, 0)
    rows = StockLevel.objects.filter(quantity__gt=0).count()
    assert rows == 1_004_500
    api = client_for(manager)
    accepted = api.get("/api/stock/export.csv", HTTP_PREFER="respond-async")
    assert accepted.status_code == 202
    worker = worker_factory()
    job = wait_for(accepted.json()["id"], {"done", "failed"}, worker.log, timeout=600)
    assert job.status == "done", job.error
    assert job.progress == rows
    state = api.get(accepted["Location"]).json()
    assert state["status"] == "done" and state["progress"] == rows
    from_job = _digest(api.get(state["result_url"]).streaming_content)
    synchronous = _digest(api.get("/api/stock/export.csv").streaming_content)
    assert from_job == synchronous
    assert from_job[1] == rows + 1  # the header and every row
