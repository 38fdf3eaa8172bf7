"""Background jobs, on the eager path a fresh clone uses (no broker: a job runs inside the
request that starts it): large exports with ``Prefer: respond-async``, admin imports past
``HARDFIN_IMPORT_JOB_ROWS``, the status page and API, and a job killed and rerun."""

import pytest
from django.core.management import call_command

from hardfin import jobs
from hardfin.models import Job
from inventory.models import Item
from tests.admin_support import import_confirm, import_preview, signed_in
from tests.api_support import api  # noqa: F401 - fixture
from tests.factories import UserFactory

ASYNC = {"HTTP_PREFER": "respond-async"}


@pytest.fixture(autouse=True)
def _jobs_dir(settings, tmp_path):
    settings.JOBS_DIR = tmp_path / "jobs"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def items_csv(rows: int, *, name: str = "Part") -> str:
    return "sku,name,description,unit,fractional,is_active\n" + "".join(
        f"P-{n:06d},{name} {n},Spare part,ea,false,true\n" for n in range(rows))


# --- exports ------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/stock/export.csv", "/api/valuation/export.csv",
                                  "/api/reports/rollforward.csv?since=2020-01-01&until=2030-01-01"])
def test_an_async_export_answers_202_and_its_file_is_the_synchronous_export(api, manager, ldr_worked_example, path):
    client = api(manager)
    response = client.get(path)
    assert response.status_code == 200, body(response)
    synchronous = body(response)
    assert synchronous.count(b"\n") > 1
    accepted = client.get(path, **ASYNC)
    assert accepted.status_code == 202
    job_url = accepted["Location"]
    assert job_url.startswith("/api/jobs/") and accepted.json()["url"] == job_url
    assert accepted["Preference-Applied"] == "respond-async"
    state = client.get(job_url).json()
    assert state["status"] == "done" and state["kind"] == "export" and state["error"] is None
    assert state["result_url"] and state["finished"]
    download = client.get(state["result_url"])
    assert download.status_code == 200
    assert body(download) == synchronous
    assert state["progress"] == synchronous.count(b"\n") - 1


@pytest.mark.django_db
def test_without_the_header_the_export_is_unchanged(api, manager, ldr_worked_example):
    response = api(manager).get("/api/stock/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_an_export_the_user_may_not_read_starts_no_job(api, nobody, ldr_worked_example):
    response = api(nobody).get("/api/stock/export.csv", **ASYNC)
    assert response.status_code == 403
    assert not Job.objects.exists()
    assert api(None).get("/api/stock/export.csv", **ASYNC).status_code == 401


@pytest.mark.django_db
def test_bad_export_parameters_are_refused_as_without_the_header(api, manager):
    plain = api(manager).get("/api/stock/export.csv?as_of=not-a-date")
    prefer = api(manager).get("/api/stock/export.csv?as_of=not-a-date", **ASYNC)
    assert plain.status_code == prefer.status_code == 400
    assert prefer.json() == plain.json()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_same_idempotency_key_starts_one_export_job(api, manager, ldr_worked_example):
    client = api(manager)
    first = client.get("/api/stock/export.csv", HTTP_IDEMPOTENCY_KEY="k-1", **ASYNC)
    second = client.get("/api/stock/export.csv", HTTP_IDEMPOTENCY_KEY="k-1", **ASYNC)
    assert first["Location"] == second["Location"] and Job.objects.count() == 1


@pytest.mark.django_db
def test_only_the_owner_and_superusers_see_a_job(api, manager, accountant, ldr_worked_example, client):
    job_url = api(manager).get("/api/stock/export.csv", **ASYNC)["Location"]
    job_id = job_url.rstrip("/").split("/")[-1]
    assert api(accountant).get(job_url).status_code == 404
    boss = UserFactory(username="root", is_superuser=True)
    assert api(boss).get(job_url).status_code == 200
    client.force_login(accountant)
    assert client.get(f"/jobs/{job_id}/").status_code == 404
    assert client.get(f"/jobs/{job_id}/download/").status_code == 404
    assert api(None).get(job_url).status_code == 401
    client.force_login(manager)
    page = client.get(f"/jobs/{job_id}/")
    assert page.status_code == 200
    assert f'href="/jobs/{job_id}/download/"' in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode()


# --- the status page ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_running_jobs_page_shows_progress_and_refreshes_itself(client, manager):
    job = Job.objects.create(key="k", kind="import", task="hardfin.import_csv", created_by=manager,
                             status=Job.Status.RUNNING, progress=250, total=1000)
    client.force_login(manager)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "250 of 1000 (25%)" in page and "<script" not in page
    assert "download" not in page.lower()


# --- admin imports ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_large_admin_import_becomes_a_job_and_records_every_row_once(settings, manager):
    settings.HARDFIN_IMPORT_JOB_ROWS = 50
    client = signed_in(manager)
    preview = import_preview(client, Item, items_csv(120))
    done = import_confirm(client, Item, preview)
    job = Job.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "done" and job.kind == "import" and (job.progress, job.total) == (120, 120)
    assert Item.objects.count() == 120
    page = client.get(done["Location"]).content.decode()
    assert "done" in page and "Imported 120 rows" in page
    # The confirmation sent again (a browser resubmit) starts nothing more: its file is gone
    # (and were it not, its key would find the same job).
    import_confirm(client, Item, preview)
    assert Job.objects.count() == 1
    assert Item.objects.count() == 120


@pytest.mark.django_db
def test_an_import_at_the_limit_is_imported_in_the_request_as_before(settings, manager):
    settings.HARDFIN_IMPORT_JOB_ROWS = 50
    client = signed_in(manager)
    done = import_confirm(client, Item, import_preview(client, Item, items_csv(50)))
    assert done.status_code == 302 and "/jobs/" not in done["Location"]
    assert Item.objects.count() == 50 and not Job.objects.exists()


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no ``except Exception`` catches it."""


@pytest.mark.django_db
def test_an_import_job_killed_before_its_commit_leaves_nothing_and_its_rerun_records_once(
        settings, manager, monkeypatch):
    settings.HARDFIN_IMPORT_JOB_ROWS = 10
    client = signed_in(manager)
    preview = import_preview(client, Item, items_csv(40))

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(jobs, "finish", killed)
    with pytest.raises(Killed):
        import_confirm(client, Item, preview)
    job = Job.objects.get()
    assert job.status == "running" and Item.objects.count() == 0
    monkeypatch.undo()
    call_command("jobs_resume")
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2
    assert Item.objects.count() == 40
    # A finished job is never run again.
    call_command("jobs_resume")
    assert Job.objects.get().attempts == 2 and Item.objects.count() == 40
