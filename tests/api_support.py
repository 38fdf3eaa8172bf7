"""Helpers shared by the API tests: clients that authenticate with a real token, and the
quickest way to put stock somewhere."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from movements.services import Line, receipt_create


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
    """Put ``quantity`` of ``item`` at ``location`` as one new batch."""
    return receipt_create(supplier=supplier, location=location, po_number=po_number,
                          lines=[Line(item, Decimal(quantity))], user=user)


def post_raw(client, path: str, body: str, **headers):
    """POST a JSON text exactly as written (numbers, NaN, broken JSON…)."""
    return client.generic("POST", path, body, content_type="application/json", **headers)
