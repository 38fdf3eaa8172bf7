from decimal import Decimal

import pytest
from django.db import connection
from django.db.backends.postgresql.operations import (
    DatabaseOperations as PostgresOperations,
)

from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory

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


def D(value) -> Decimal:
    return Decimal(str(value))
