from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need row locks and triggers that only PostgreSQL has; on
    SQLite they are deselected (reported as such), not skipped."""
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
