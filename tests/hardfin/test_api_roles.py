"""Who may call what: every endpoint and method, for anonymous callers, a signed-in user in
no group, and each role. A refused write records nothing."""

import pytest

from inventory.models import Item, Location, Supplier
from lots.models import Batch, Lot
from movements.models import Movement, Shortfall
from movements.services import Line, build_create, transfer_create
from tests.api_support import api, receive  # noqa: F401  (api is a fixture)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory
from tests.helpers import snapshot

#: Who may do what, as API.md and DESIGN.md say. "ledger" is a change to the ledger, which
#: nobody may make: 405 for everyone who may read it.
ALLOWED = {
    "read": {"operator", "manager", "accountant"},
    "export": {"operator", "manager", "accountant"},
    "catalog": {"manager"},
    "operate": {"operator", "manager"},
    "adjust": {"manager", "accountant"},
    "ledger": set(),
}

ENDPOINTS = [
    # (method, path, body, capability, status when allowed)
    ("get", "/api/items/", None, "read", 200),
    ("post", "/api/items/", {"sku": "NEW-1", "name": "New part"}, "catalog", 201),
    ("get", "/api/items/LDR-4.1/", None, "read", 200),
    ("patch", "/api/items/LDR-4.1/", {"name": "Renamed"}, "catalog", 200),
    ("delete", "/api/items/TMP-1/", None, "catalog", 204),
    ("get", "/api/locations/", None, "read", 200),
    ("post", "/api/locations/", {"code": "NEW", "name": "New place"}, "catalog", 201),
    ("get", "/api/locations/CHI/", None, "read", 200),
    ("patch", "/api/locations/CHI/", {"name": "Renamed"}, "catalog", 200),
    ("delete", "/api/locations/TMP/", None, "catalog", 204),
    ("get", "/api/suppliers/", None, "read", 200),
    ("post", "/api/suppliers/", {"code": "NEW", "name": "New supplier"}, "catalog", 201),
    ("get", "/api/suppliers/ACME/", None, "read", 200),
    ("patch", "/api/suppliers/ACME/", {"name": "Renamed"}, "catalog", 200),
    ("delete", "/api/suppliers/TMPS/", None, "catalog", 204),
    ("get", "/api/stock/", None, "read", 200),
    ("get", "/api/stock/by-item/", None, "read", 200),
    ("get", "/api/stock/by-location/", None, "read", 200),
    ("get", "/api/stock/export.csv", None, "export", 200),
    ("get", "/api/lots/", None, "read", 200),
    ("get", "/api/lots/{lot}/", None, "read", 200),
    ("get", "/api/batches/", None, "read", 200),
    ("get", "/api/batches/{batch}/", None, "read", 200),
    ("get", "/api/batches/{batch}/trace/", None, "read", 200),
    ("get", "/api/movements/", None, "read", 200),
    ("get", "/api/movements/{movement}/", None, "read", 200),
    ("put", "/api/movements/{movement}/", {"quantity": "1"}, "ledger", 405),
    ("patch", "/api/movements/{movement}/", {"quantity": "1"}, "ledger", 405),
    ("delete", "/api/movements/{movement}/", None, "ledger", 405),
    ("post", "/api/movements/", {"kind": "receipt"}, "ledger", 405),
    ("get", "/api/adjustment-reasons/", None, "read", 200),
    ("get", "/api/shortfalls/", None, "read", 200),
    ("get", "/api/shortfalls/{shortfall}/", None, "read", 200),
    ("post", "/api/transfers/", {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "5"},
     "operate", 201),
    ("post", "/api/receipts/", {"supplier": "ACME", "location": "CHI", "po_number": "PO-2",
                                "lines": [{"sku": "LDR-4.1", "quantity": "5"}]}, "operate", 201),
    ("post", "/api/builds/", {"location": "CHI", "reference": "WO-9", "lines": [{"sku": "LDR-4.1", "quantity": "5"}]},
     "operate", 201),
    ("post", "/api/replacements/", {"sku": "LDR-4.1", "location": "CHI", "quantity": "1", "asset": "TRUCK-1"},
     "operate", 201),
    ("post", "/api/adjustments/", {"sku": "LDR-4.1", "location": "CHI", "direction": "down", "quantity": "1",
                                   "reason": "lost"}, "adjust", 201),
]


@pytest.fixture
def world(operator, item, chicago, milwaukee, supplier):
    """Stock to move, records nothing refers to (to delete), and one of each kind of row."""
    receive(item=item, location=chicago, supplier=supplier, user=operator, quantity="100")
    transfer = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="10", user=operator)
    build = build_create(location=milwaukee, reference="B-1", lines=[Line(ItemFactory(), "1")], user=operator,
                         allow_shortfall=True)
    ItemFactory(sku="TMP-1")
    LocationFactory(code="TMP")
    SupplierFactory(code="TMPS")
    return {"lot": Lot.objects.filter(location=milwaukee).get().pk, "batch": Batch.objects.get(item=item).pk,
            "movement": transfer.pk, "shortfall": build.shortfalls[0].pk}


def state():
    return snapshot(), [list(model.objects.order_by("pk").values()) for model in (Item, Location, Supplier)]


@pytest.mark.parametrize("role", ["anonymous", "nobody", "operator", "manager", "accountant"])
@pytest.mark.parametrize("method, path, body, capability, allowed_status", ENDPOINTS,
                         ids=[f"{method.upper()} {path}" for method, path, *_ in ENDPOINTS])
def test_role_matrix(api, world, request, role, method, path, body, capability, allowed_status):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = api(user)
    before = state()

    response = getattr(client, method)(path.format(**world), body)

    if user is None:
        expected = 401
    elif role in ALLOWED[capability] or (capability == "ledger" and role != "nobody"):
        expected = allowed_status
    else:
        expected = 403
    assert response.status_code == expected, response.content
    if expected != allowed_status or method in ("get", "put") or capability == "ledger":
        assert state() == before
    if response.status_code in (401, 403, 405):
        assert response.json()["detail"]


def test_superusers_may_do_everything(api, world, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client = api(root)

    for method, path, body, _, allowed_status in ENDPOINTS:
        response = getattr(client, method)(path.format(**world), body)
        assert response.status_code == allowed_status, (method, path, response.content)
    assert sorted(Movement.objects.filter(user=root).values_list("kind", flat=True)) == [
        "adjustment", "build", "receipt", "replacement", "transfer"]
    assert Shortfall.objects.count() == 1

