from decimal import Decimal

import pytest
from django.db import connection
from django.db.backends.postgresql.operations import (
    DatabaseOperations as PostgresOperations,
)

from movements.services import Line, build_create, transfer_create
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory
from tests.stock import receive, worked_example

_postgres_sql_flush = PostgresOperations.sql_flush


def _sql_flush_allowing_the_ledger(self, style, tables, **kwargs):
    """Between transactional tests Django empties the test database with TRUNCATE, which the
    ledger's trigger refuses (movements migration 0004) unless the flushing transaction allows
    it for itself."""
    statements = _postgres_sql_flush(self, style, tables, **kwargs)
    if not statements:
        return statements
    return ["SELECT set_config('hardfin.ledger_truncate', 'allow', true)", *statements]


PostgresOperations.sql_flush = _sql_flush_allowing_the_ledger


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need row locks and triggers that only PostgreSQL has; on
    SQLite they are deselected (reported as such), not skipped.

    Every transactional test must also ask for ``serialized_rollback``: the flush after a
    plain one recreates content types with new ids, which the next serialized test's restore
    of the original rows would then collide with."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(
                f"{item.nodeid}: use @pytest.mark.django_db(transaction=True, serialized_rollback=True)"
            )
    if connection.vendor == "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator(db):
    return UserFactory(username="olivia", groups=["Operators"])


@pytest.fixture
def manager(db):
    return UserFactory(username="manny", groups=["Managers"])


@pytest.fixture
def accountant(db):
    return UserFactory(username="ada", groups=["Accountants"])


@pytest.fixture
def nobody(db):
    """Signed in, but in no group."""
    return UserFactory(username="nobody")


@pytest.fixture
def item(db):
    return ItemFactory(sku="LDR-4.1", name="Lidar unit 4.1")


@pytest.fixture
def chicago(db):
    return LocationFactory(code="CHI", name="Chicago Warehouse")


@pytest.fixture
def milwaukee(db):
    return LocationFactory(code="MKE", name="Milwaukee Operations Center")


@pytest.fixture
def supplier(db):
    return SupplierFactory(code="ACME", name="Acme Sensors")


@pytest.fixture
def cable(db):
    """An item counted in fractions."""
    return ItemFactory(sku="CBL-CAT6", name="Cat6 cable", unit="m", fractional=True)


# --- stock, recorded through the services (tests/stock.py); each returns what it recorded ----

@pytest.fixture
def ldr_worked_example(item, chicago, milwaukee, supplier, operator):
    """DESIGN.md's worked example, recorded by the operator (olivia): Chicago holds 155 of
    LDR-4.1's batch 0002 (and an empty lot of 0001), Milwaukee 100 of 0001 and 45 of 0002."""
    return worked_example(item, chicago, milwaukee, supplier=supplier, user=operator)


@pytest.fixture
def ldr_worked_example_by_manager(item, chicago, milwaukee, supplier, manager):
    """The same worked example, recorded by the manager (manny)."""
    return worked_example(item, chicago, milwaukee, supplier=supplier, user=manager)


@pytest.fixture
def ldr_worked_example_first_half(item, chicago, milwaukee, supplier, operator):
    """The worked example's first two steps, recorded by the operator: Chicago holds 75 of
    LDR-4.1's batch 0001 (100 received, 25 sent on), Milwaukee 25 of it."""
    return worked_example(item, chicago, milwaukee, supplier=supplier, user=operator, steps=2)


@pytest.fixture
def ldr_10_20_30_at_chicago(item, chicago, supplier, operator):
    """LDR-4.1 at Chicago only: batch 0001 with 10, 0002 with 20, 0003 with 30."""
    return [receive(item, chicago, quantity, supplier=supplier, user=operator) for quantity in ("10", "20", "30")]


@pytest.fixture
def ldr_75_at_chicago(item, chicago, milwaukee, supplier, operator):
    """75 of LDR-4.1 at Chicago, in one batch (0001); Milwaukee holds nothing."""
    return receive(item, chicago, "75", supplier=supplier, user=operator)


@pytest.fixture
def ldr_100_at_chicago(item, chicago, milwaukee, supplier, operator):
    """100 of LDR-4.1 at Chicago, in one batch (0001); Milwaukee holds nothing."""
    return receive(item, chicago, "100", supplier=supplier, user=operator)


@pytest.fixture
def stock_with_a_shortfall(item, chicago, milwaukee, supplier, operator):
    """LDR-4.1: 100 received at Chicago and all sent to Milwaukee, then a build of 1 at
    Chicago: Chicago -1 (an open shortfall of 1, its lot of 0001 empty), Milwaukee 100."""
    received = receive(item, chicago, "100", supplier=supplier, user=operator)
    moved = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="100", user=operator)
    build = build_create(location=chicago, reference="B-1", lines=[Line(item, "1")], user=operator,
                         allow_shortfall=True)
    return [received, moved, *build.movements]


def D(value) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis of the test run's own, on a free port, stopped at the end."""
    from tools.redis_server import RedisServer

    with RedisServer() as server:
        yield server
