"""Helpers shared by the API tests: clients that authenticate with a real token, and raw JSON
posts. Stock is set up with tests/stock.py and the fixtures of tests/conftest.py."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import stock


def client_for(user=None) -> APIClient:
    """An API client sending ``Authorization: Token …`` for ``user`` (anonymous if None)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(db):
    """``api(user)`` → a client for that user. Throttling counters start from zero, since
    user ids repeat between tests."""
    cache.clear()
    return client_for


def receive(*, item, location, supplier, user, quantity, po_number="PO-1"):
    """The old keyword-only spelling of ``tests.stock.receive``, kept only for
    tests/test_roles_matrix.py and tests/hardfin/test_schemathesis.py until they move to
    ``tests.stock``; new tests use ``tests.stock.receive``."""
    return stock.receive(item, location, quantity, supplier=supplier, user=user, po_number=po_number)


def post_raw(client, path: str, body: str, **headers):
    """POST a JSON text exactly as written (numbers, NaN, broken JSON…)."""
    return client.generic("POST", path, body, content_type="application/json", **headers)
