"""Property-based tests generated from the OpenAPI schema by Schemathesis: requests
generated from it (valid ones, and invalid ones) sent as a superuser over seeded data never
cause a 500, and every response — status, content type, headers, body — is one the schema
describes.

1. The upstream run, as an integrator would start it: ``st run`` (the Schemathesis command
   line, in a subprocess) against a live server, every phase — examples, coverage (boundary
   and invalid values of every parameter, unsupported methods), fuzzing, stateful (chains of
   calls using what earlier answers returned) — with every check but two: the schema cannot
   say which SKUs exist, so a schema-valid transfer of an unknown SKU is refused (400, as
   API.md wants: ``positive_data_acceptance``); and malformed paging and yes/no filter values
   are ignored rather than refused (``negative_data_rejection``).
2. In process, for each operation with a path parameter, requests that name a record that
   exists, so reads, changes and deletes get past the 404.

Bounded and deterministic: a few examples per operation, derandomized; a few minutes.
(Schemathesis' own pytest plugin does not run under pytest 9, so part 2 drives Hypothesis
with each operation's strategy.)"""

import json
import re
import subprocess
import sys

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hardfin.wsgi import application
from lots.models import Lot
from movements.services import Line, build_create, transfer_create
from tests.api_support import receive
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 15


def load_schema():
    """The schema /api/schema/ serves, built without a request (no database needed)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    schema.app = application
    return schema


OPERATIONS = {result.ok().label: result.ok() for result in load_schema().get_all_operations()}


@pytest.fixture
def in_test_transaction():
    """Requests go straight to the WSGI application, not through Django's test client, which
    is what normally stops a request from closing the test's database connection (and with
    it the transaction that holds this test's data)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def seeded(db, settings, in_test_transaction, tmp_path):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.JOBS_DIR = tmp_path
    return seed()


def _finished_job(user):
    """An export job that is done, with its file."""
    from hardfin import jobs
    from hardfin.models import Job

    job = Job.objects.create(key="seeded-export", kind="export", task="hardfin.export_csv", created_by=user)
    path, _ = jobs.write_result(job, "stock.csv", [b"SKU\r\nLDR-4.1\r\n"])
    jobs.finish(job, result_path=path, result_name="stock.csv", result_type="text/csv; charset=utf-8", done=1)
    return job


def seed():
    """A superuser's token, over the worked example's first steps plus an open shortfall;
    and, per resource, the path parameters of one record that exists."""
    cache.clear()  # throttling counters: user ids repeat between tests
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    item = ItemFactory(sku="LDR-4.1", name="Lidar unit 4.1")
    ItemFactory(sku="CBL-CAT6", name="Cable", fractional=True, unit="m")
    chicago, milwaukee = LocationFactory(code="CHI"), LocationFactory(code="MKE")
    supplier = SupplierFactory(code="ACME")
    receive(item=item, location=chicago, supplier=supplier, user=admin, quantity="100")
    transfer = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25", user=admin)
    build = build_create(location=milwaukee, reference="B-1", lines=[Line(item, "30")], user=admin,
                         allow_shortfall=True)
    existing = {
        "items": {"sku": "LDR-4.1"},
        "locations": {"code": "CHI"},
        "suppliers": {"code": "ACME"},
        "batches": {"id": transfer.lines.get().batch_id},
        "lots": {"id": Lot.objects.filter(location=milwaukee).get().pk},
        "movements": {"id": transfer.pk},
        "shortfalls": {"id": build.shortfalls[0].pk},
        **_counts_records(admin, chicago, item),
        "jobs": {"id": _finished_job(admin).pk},
    }
    return Token.objects.create(user=admin).key, existing


def _counts_records(admin, chicago, item):
    from counts.services import count_start, reorder_point_create

    return {
        "counts": {"id": count_start(location=chicago, items=[item], user=admin).pk},
        "reorder-points": {"id": reorder_point_create(item=item, location=chicago, minimum="5", user=admin).pk},
    }


def check_operation(operation, strategy):
    @given(case=strategy)
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()


#: Checks left out of the upstream run, and why: see the module's docstring.
NOT_CHECKED = ["positive_data_acceptance", "negative_data_rejection"]
LIVE_EXAMPLES_PER_OPERATION = 8


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_phase_of_the_upstream_run_against_a_live_server_passes(live_server, tmp_path):
    token, _ = seed()
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{live_server.url}/api/schema/?format=json",
        "--url", live_server.url,
        "--header", f"Authorization: Token {token}",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--checks", "all", "--exclude-checks", ",".join(NOT_CHECKED),
        "--max-examples", str(LIVE_EXAMPLES_PER_OPERATION),
        "--generation-deterministic",
        "--workers", "1", "--request-timeout", "60", "--no-color",
    ]

    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)

    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-12000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in report, report[-3000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counts, report[-3000:]
    generated, passed = map(int, counts.groups())
    assert generated == passed > 1000, report[-3000:]


@pytest.mark.parametrize("label", sorted(label for label in OPERATIONS if "{" in label))
def test_operation_on_an_existing_record_conforms_to_the_schema(label, seeded):
    # Generated paths almost never name a record that exists; these do, so reads, changes
    # and deletes get past the 404.
    token, existing = seeded
    operation = OPERATIONS[label]
    resource = operation.path.split("/")[2]

    check_operation(operation, operation.as_strategy(
        GenerationMode.POSITIVE, headers={"Authorization": f"Token {token}"}, path_parameters=existing[resource],
    ))
