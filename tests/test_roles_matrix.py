"""Who may use what: every API path and method, every staff page and every admin page, for
anonymous visitors, a signed-in user in no group, each role group, a superuser, an inactive
user and (on the API) a revoked token. A refused request changes nothing.

The tables are checked against the URL configuration, so a new endpoint or page without a
row here fails ``test_*_table_covers_every_*``.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.authtoken.models import Token

from inventory.models import Item, Location, Supplier
from lots.models import Batch, Lot
from movements.models import AdjustmentReason, Movement, Shortfall
from movements.services import Line, build_create, transfer_create
from tests.api_support import api, client_for, receive  # noqa: F401  (api is a fixture)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory
from tests.helpers import snapshot

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's

#: Every kind of caller. "inactive" is an operator whose account was switched off after it
#: signed in and got its token; "revoked" (API only) an operator whose token was deleted.
ROLES = ["anonymous", "nobody", "operator", "manager", "accountant", "superuser", "inactive"]
API_ROLES = [*ROLES, "revoked"]


@pytest.fixture
def users(db):
    inactive = UserFactory(username="gone", groups=["Operators"])
    users = {
        "nobody": UserFactory(username="nobody"),
        "operator": UserFactory(username="olivia", groups=["Operators"]),
        "manager": UserFactory(username="manny", groups=["Managers"]),
        "accountant": UserFactory(username="ada", groups=["Accountants"]),
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
        "inactive": inactive,
        "revoked": UserFactory(username="revoked", groups=["Operators"]),
    }
    return users


@pytest.fixture
def world(users, settings, tmp_path):
    """Stock to move, records nothing refers to (to delete), and one of each kind of row."""
    settings.JOBS_DIR = tmp_path
    operator = users["operator"]
    item = ItemFactory(sku="LDR-4.1", name="Lidar unit 4.1")
    chicago, milwaukee = LocationFactory(code="CHI"), LocationFactory(code="MKE")
    supplier = SupplierFactory(code="ACME")
    receive(item=item, location=chicago, supplier=supplier, user=operator, quantity="100")
    transfer = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="10", user=operator)
    build = build_create(location=milwaukee, reference="B-1", lines=[Line(ItemFactory(), "1")], user=operator,
                         allow_shortfall=True)
    ItemFactory(sku="TMP-1")
    LocationFactory(code="TMP")
    SupplierFactory(code="TMPS")
    ids = {
        "lot": Lot.objects.filter(location=milwaukee).get().pk,
        "batch": Batch.objects.get(item=item).pk,
        "movement": transfer.pk,
        "shortfall": build.shortfalls[0].pk,
        "item": item.pk,
        "location": chicago.pk,
        "supplier": supplier.pk,
        "reason": AdjustmentReason.objects.get(code="damaged").pk,
        "stocklevel": item.stock_levels.get(location=chicago).pk,
        "user": operator.pk,
        "group": operator.groups.get().pk,
        # DRF's token admin addresses a token by its user's id.
        "token": Token.objects.get_or_create(user=operator)[0].user_id,
    }
    ids.update(_counts_world(users, chicago))
    ids["job"] = _manager_job(users["manager"]).pk
    return ids


def _manager_job(manager):
    """A finished export job of the manager's, with its file (under a test folder)."""
    from hardfin import jobs
    from hardfin.models import Job

    job = Job.objects.create(key="matrix-export", kind="export", task="hardfin.export_csv", created_by=manager)
    path, _ = jobs.write_result(job, "stock.csv", [b"SKU\r\nLDR-4.1\r\n"])
    jobs.finish(job, result_path=path, result_name="stock.csv", result_type="text/csv; charset=utf-8", done=1)
    return job


def _counts_world(users, chicago):
    """Two open counts of items nothing else moves (so posting one adjusts nothing), and a
    reorder point."""
    from counts.services import count_start, reorder_point_create

    manager = users["manager"]
    first = count_start(location=chicago, items=[ItemFactory(sku="CNT-1")], user=manager)
    second = count_start(location=chicago, items=[ItemFactory(sku="CNT-2")], user=manager)
    point = reorder_point_create(item=ItemFactory(sku="LOW-1"), location=chicago, minimum="5", user=manager)
    return {"count": first.pk, "count2": second.pk, "reorderpoint": point.pk}


def state():
    return snapshot(), [list(model.objects.order_by("pk").values()) for model in (Item, Location, Supplier)]


def api_client(role, users):
    if role == "anonymous":
        return client_for(None)
    user = users[role]
    client = client_for(user)
    if role == "revoked":
        Token.objects.filter(user=user).delete()
    if role == "inactive":
        user.is_active = False
        user.save()
    return client


def page_client(role, users) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    if role == "inactive":
        users[role].is_active = False
        users[role].save()
    return client


# --- the REST API ----------------------------------------------------------------------------------

#: Who may do what, as API.md and DESIGN.md say. "ledger" is a change to the ledger, which
#: nobody may make: 405 for everyone who may read it. "public" needs no credentials at all.
API_ALLOWED = {
    "read": {"operator", "manager", "accountant", "superuser"},
    "export": {"operator", "manager", "accountant", "superuser"},
    "catalog": {"manager", "superuser"},
    "operate": {"operator", "manager", "superuser"},
    "adjust": {"manager", "accountant", "superuser"},
    "cost": {"manager", "accountant", "superuser"},
    "ledger": {"operator", "manager", "accountant", "superuser"},
    "public": set(API_ROLES),
    "count-manage": {"manager", "accountant", "superuser"},
    "count-enter": {"operator", "manager", "accountant", "superuser"},
    "job-owner": {"manager", "superuser"},
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
    ("patch", "/api/batches/{batch}/", {"unit_cost": "2.5"}, "cost", 200),
    ("get", "/api/valuation/", None, "read", 200),
    ("get", "/api/valuation/export.csv", None, "export", 200),
    ("get", "/api/valuation/export.xlsx", None, "export", 200),
    ("get", "/api/reports/rollforward/", None, "read", 200),
    ("get", "/api/reports/rollforward.csv", None, "export", 200),
    ("get", "/api/reports/rollforward.xlsx", None, "export", 200),
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
    # The contract and its docs page are for anyone; a token is had with a password.
    ("get", "/api/schema/", None, "public", 200),
    ("get", "/api/docs/", None, "public", 200),
    ("post", "/api/auth/token/", {"username": "olivia", "password": PASSWORD}, "public", 200),
    # Counts and reorder points (API.md v1.1).
    ("get", "/api/counts/", None, "read", 200),
    ("post", "/api/counts/", {"location": "MKE", "skus": ["LDR-4.1"]}, "count-manage", 201),
    ("get", "/api/counts/{count}/", None, "read", 200),
    ("post", "/api/counts/{count}/entries/", {"lines": [{"sku": "CNT-1", "counted": "0"}]}, "count-enter", 200),
    ("post", "/api/counts/{count}/post/", {"uncounted": "ignore"}, "count-manage", 200),
    ("post", "/api/counts/{count2}/cancel/", {}, "count-manage", 200),
    ("get", "/api/reorder-points/", None, "read", 200),
    ("post", "/api/reorder-points/", {"sku": "LDR-4.1", "location": "MKE", "minimum": "1"}, "catalog", 201),
    ("get", "/api/reorder-points/{reorderpoint}/", None, "read", 200),
    ("patch", "/api/reorder-points/{reorderpoint}/", {"minimum": "2"}, "catalog", 200),
    ("delete", "/api/reorder-points/{reorderpoint}/", None, "catalog", 204),
    # A job is its owner's (the manager's here) and superusers'; to anyone else it does not exist.
    ("get", "/api/jobs/{job}/", None, "job-owner", 200),
    ("get", "/api/jobs/{job}/result", None, "job-owner", 200),
]


@pytest.mark.parametrize("role", API_ROLES)
@pytest.mark.parametrize("method, path, body, capability, allowed_status", ENDPOINTS,
                         ids=[f"{method.upper()} {path}" for method, path, *_ in ENDPOINTS])
def test_api_role_matrix(api, users, world, role, method, path, body, capability, allowed_status):
    client = api_client(role, users)
    before = state()

    response = getattr(client, method)(path.format(**world), body)

    if role in API_ALLOWED[capability]:
        expected = allowed_status
    elif role in ("anonymous", "inactive", "revoked"):
        expected = 401  # no credentials, or credentials that no longer count
    elif capability == "job-owner":
        expected = 404  # someone else's job does not exist for them
    else:
        expected = 403
    assert response.status_code == expected, response.content[:300]
    if expected != allowed_status or method in ("get", "put") or capability in ("ledger", "public"):
        assert state() == before
    if response.status_code in (401, 403, 405):
        assert response.json()["detail"]


def test_superusers_may_do_every_api_write(api, users, world):
    root = users["superuser"]
    client = api(root)

    for method, path, body, _, allowed_status in ENDPOINTS:
        response = getattr(client, method)(path.format(**world), body)
        assert response.status_code == allowed_status, (method, path, response.content)
    assert sorted(Movement.objects.filter(user=root).values_list("kind", flat=True)) == [
        "adjustment", "build", "receipt", "replacement", "transfer"]
    assert Shortfall.objects.count() == 1


def _patterns(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from ((f"{namespace}{name}", view) for name, view in _patterns(pattern, prefix + namespace))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, pattern.callback


METHODS = ("get", "post", "put", "patch", "delete")  # HEAD and OPTIONS follow GET's rules


def _methods(view) -> set[str]:
    actions = getattr(view, "actions", None)
    if actions:
        return set(actions) & set(METHODS)
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    return {method for method in METHODS if hasattr(view_class, method)}


def test_api_table_covers_every_api_path_and_method(world):
    api_resolver = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/")
    offered = {(name, method) for name, view in _patterns(api_resolver) for method in _methods(view)}
    covered = {(resolve(path.format(**world)).url_name, method) for method, path, *_ in ENDPOINTS}
    assert offered - covered == set()


# --- the staff pages ----------------------------------------------------------------------------

#: Which role may open which kind of page. "view" needs a role group; a movement form needs
#: its kind's permission; "signed-in" any active account; "public" nothing.
PAGE_ALLOWED = {
    "view": {"operator", "manager", "accountant", "superuser"},
    "transfer": {"operator", "manager", "superuser"},
    "receipt": {"operator", "manager", "superuser"},
    "build": {"operator", "manager", "superuser"},
    "replacement": {"operator", "manager", "superuser"},
    "adjustment": {"manager", "accountant", "superuser"},
    "signed-in": {"nobody", "operator", "manager", "accountant", "superuser"},
    "public": set(ROLES),
    "count-manage": {"manager", "accountant", "superuser"},
    "job-owner": {"manager", "superuser"},
}
PAGES = [
    ("/jobs/{job}/", "job-owner", 200),
    ("/jobs/{job}/download/", "job-owner", 200),
    # (path, capability, status when allowed)
    ("/", "public", 302),
    ("/inventory/", "view", 200),
    ("/inventory/?view=location", "view", 200),
    ("/inventory/export.csv", "view", 200),
    ("/items/LDR-4.1/", "view", 200),
    ("/items/LDR-4.1/history/", "view", 200),
    ("/items/LDR-4.1/batches/", "view", 200),
    ("/items/LDR-4.1/batches/1/", "view", 200),
    ("/transfers/new/", "transfer", 200),
    ("/receipts/new/", "receipt", 200),
    ("/builds/new/", "build", 200),
    ("/replacements/new/", "replacement", 200),
    ("/adjustments/new/", "adjustment", 200),
    ("/movements/", "view", 200),
    ("/movements/?kind=transfer&location=CHI", "view", 200),
    ("/movements/export.csv", "view", 200),
    ("/movements/{movement}/", "view", 200),
    ("/locations/CHI/", "view", 200),
    ("/shortfalls/", "view", 200),
    ("/lookup/items/?q=LDR", "view", 200),
    ("/inventory/?as_of=2026-01-01", "view", 200),
    ("/inventory/export.csv?as_of=2026-01-01", "view", 200),
    ("/items/LDR-4.1/?as_of=2026-01-01", "view", 200),
    ("/reports/valuation/", "view", 200),
    ("/reports/valuation/export.csv", "view", 200),
    ("/reports/valuation/export.xlsx", "view", 200),
    ("/reports/rollforward/", "view", 200),
    ("/reports/recall/?supplier=ACME", "view", 200),
    ("/reports/rollforward/export.csv", "view", 200),
    ("/reports/rollforward/export.xlsx", "view", 200),
    ("/accounts/login/", "public", 200),
    ("/accounts/password_change/", "signed-in", 200),
    ("/accounts/password_change/done/", "signed-in", 200),
    ("/healthz", "public", 200),
    ("/counts/", "view", 200),
    ("/counts/{count}/", "view", 200),
    ("/counts/{count}/sheet.csv", "view", 200),
    # POST only: a GET is the wrong method, to anyone who may send the POST.
    ("/counts/{count}/entries/", "view", 405),
    ("/counts/{count}/upload/", "view", 405),
    ("/counts/{count}/review/", "count-manage", 200),
    ("/counts/{count}/post/", "count-manage", 405),
    ("/counts/{count}/cancel/", "count-manage", 405),
    ("/low-stock/", "view", 200),
    ("/low-stock/export.csv", "view", 200),
    ("/reorder-points/", "view", 200),
    ("/inventory/?below_minimum=true", "view", 200),
    ("/inventory/export.csv?below_minimum=true", "view", 200),
]
#: Pages that do not exist for anyone here: password reset needs a mail server (EMAIL_HOST).
ABSENT_PAGES = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]
FORMS = {"transfer", "receipt", "build", "replacement", "adjustment"}


@pytest.mark.parametrize("path, capability, allowed_status", PAGES, ids=[path for path, *_ in PAGES])
def test_page_role_matrix(users, world, path, capability, allowed_status):
    mismatches = []
    for role in ROLES:
        client = page_client(role, users)
        before = state()
        methods = ["get", "post"] if capability in FORMS else ["get"]
        for method in methods:
            # A form posted empty records nothing: its own errors for whoever may use it.
            response = getattr(client, method)(path.format(**world))
            if role in PAGE_ALLOWED[capability]:
                expected = allowed_status
            elif role in ("anonymous", "inactive"):
                expected = "sign in"
            elif capability == "job-owner":
                expected = 404
            else:
                expected = 403
            got = response.status_code
            if expected == "sign in" and got == 302 and response["Location"].startswith("/accounts/login/?next="):
                got = "sign in"
            if got != expected:
                mismatches.append((role, method, got, expected))
        if state() != before:
            mismatches.append((role, "changed the database"))
    assert mismatches == []


@pytest.mark.parametrize("path", ABSENT_PAGES)
def test_absent_pages_are_404_for_everyone(users, world, path):
    assert {role: page_client(role, users).get(path).status_code for role in ROLES} == {role: 404 for role in ROLES}


def test_page_table_covers_every_staff_page(world):
    page_names = {name for name, _ in _patterns(get_resolver()) if not name.startswith("admin:")}
    page_names -= {"api-token", "api-schema", "api-docs"} | {name for name, _ in _patterns(
        next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/"))}
    covered = set()
    for path in [path for path, *_ in PAGES] + ABSENT_PAGES:
        match = resolve(path.format(**world).split("?")[0])
        covered.add(f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name)
        # The as-of pages stand in front of the usual ones at the same address.
        if getattr(match.func, "shadows", None):
            covered.add(match.func.shadows)
    # Signing out is a POST that any visitor may send (it ends whatever session there is).
    assert page_names - covered == {"logout"}


# --- the admin -------------------------------------------------------------------------------------

#: Who may open which admin page. Only active superusers and members of Managers or
#: Accountants enter the admin at all; everyone else is sent to its sign-in page.
ADMIN_ALLOWED = {
    "enter": {"manager", "accountant", "superuser"},
    "catalog-view": {"manager", "accountant", "superuser"},
    "catalog-write": {"manager", "superuser"},
    "ledger-view": {"manager", "accountant", "superuser"},
    "nobody": set(),  # read-only ledger rows: not even superusers add, change or delete them
    "superuser": {"superuser"},
    "transfer": {"manager", "superuser"},
    "adjust": {"manager", "accountant", "superuser"},
    "opening-balances": {"manager", "superuser"},
    "set-cost": {"manager", "accountant", "superuser"},
}
CATALOG = {"item": "inventory/item", "location": "inventory/location", "supplier": "inventory/supplier",
           "reason": "movements/adjustmentreason", "reorderpoint": "counts/reorderpoint"}
LEDGER = {"stocklevel": "inventory/stocklevel", "lot": "lots/lot", "batch": "lots/batch",
          "movement": "movements/movement", "shortfall": "movements/shortfall", "count": "counts/count"}
AUTH = {"user": "auth/user", "group": "auth/group", "token": "authtoken/tokenproxy"}


def _admin_pages():
    pages = [
        # (path, capability, status when allowed)
        ("/admin/", "enter", 200),
        ("/admin/password_change/", "enter", 200),
        ("/admin/password_change/done/", "enter", 200),
        ("/admin/jsi18n/", "enter", 200),
        # Asked for nothing in particular: refused to anyone inside too.
        ("/admin/autocomplete/", "nobody", 200),
        ("/admin/inventory/", "enter", 200),
        ("/admin/lots/", "enter", 200),
        ("/admin/movements/", "enter", 200),
        ("/admin/counts/", "enter", 200),
        ("/admin/auth/", "superuser", 200),
        ("/admin/authtoken/", "superuser", 200),
        ("/admin/movements/movement/transfer/", "transfer", 200),
        ("/admin/movements/movement/adjust/", "adjust", 200),
        ("/admin/movements/movement/opening-balances/", "opening-balances", 200),
        ("/admin/auth/user/{user}/password/", "superuser", 200),
        ("/admin/lots/batch/{batch}/set-cost/", "set-cost", 200),
    ]
    for key, base in CATALOG.items():
        pages += [
            (f"/admin/{base}/", "catalog-view", 200),
            (f"/admin/{base}/{{{key}}}/change/", "catalog-view", 200),
            (f"/admin/{base}/{{{key}}}/history/", "catalog-view", 200),
            (f"/admin/{base}/export/", "catalog-view", 200),
            (f"/admin/{base}/add/", "catalog-write", 200),
            (f"/admin/{base}/{{{key}}}/delete/", "catalog-write", 200),
            (f"/admin/{base}/import/", "catalog-write", 200),
            # The confirmation step of an import is a POST: a GET is the wrong method, to anyone
            # inside (who may confirm is tests/inventory/test_resources.py's business).
            (f"/admin/{base}/process_import/", "enter", 405),
        ]
    for key, base in LEDGER.items():
        pages += [
            (f"/admin/{base}/", "ledger-view", 200),
            (f"/admin/{base}/{{{key}}}/change/", "ledger-view", 200),
            (f"/admin/{base}/{{{key}}}/history/", "ledger-view", 200),
            (f"/admin/{base}/export/", "ledger-view", 200),
            (f"/admin/{base}/add/", "nobody", 200),
            (f"/admin/{base}/{{{key}}}/delete/", "nobody", 200),
        ]
    for key, base in AUTH.items():
        pages += [
            (f"/admin/{base}/", "superuser", 200),
            (f"/admin/{base}/add/", "superuser", 200),
            (f"/admin/{base}/{{{key}}}/change/", "superuser", 200),
            (f"/admin/{base}/{{{key}}}/history/", "superuser", 200),
            (f"/admin/{base}/{{{key}}}/delete/", "superuser", 200),
        ]
    return pages


ADMIN_PAGES = _admin_pages()
#: What a signed-in user inside the admin gets for a page they may not use.
ADMIN_REFUSED = {"/admin/auth/": 404, "/admin/authtoken/": 404}  # no such app for them


@pytest.mark.parametrize("path, capability, allowed_status", ADMIN_PAGES, ids=[path for path, *_ in ADMIN_PAGES])
def test_admin_role_matrix(users, world, path, capability, allowed_status):
    url = path.format(**world)
    mismatches = []
    for role in ROLES:
        client = page_client(role, users)
        before = state()
        response = client.get(url)
        if role in ADMIN_ALLOWED[capability]:
            expected = allowed_status
        elif role in ADMIN_ALLOWED["enter"]:
            expected = ADMIN_REFUSED.get(path, 403)
        else:
            expected = "sign in"
        got = response.status_code
        if expected == "sign in" and got == 302 and response["Location"].startswith("/admin/login/?next="):
            got = "sign in"
        if got != expected:
            mismatches.append((role, got, expected))
        if state() != before:
            mismatches.append((role, "changed the database"))
    assert mismatches == []


def test_admin_sign_in_page_is_open_to_everyone(users, world):
    assert {role: page_client(role, users).get("/admin/login/").status_code for role in ROLES if role not in
            ADMIN_ALLOWED["enter"]} == {"anonymous": 200, "nobody": 200, "operator": 200, "inactive": 200}


def test_admin_table_covers_every_admin_page(world):
    names = {name.removeprefix("admin:") for name, _ in _patterns(get_resolver()) if name.startswith("admin:")}
    covered = {resolve(path.format(**world)).url_name for path, *_ in ADMIN_PAGES}
    # Signing in and out are covered above and by tests/hardfin/test_login.py; "view on site"
    # needs a model with a public page, which none has.
    assert names - covered == {"login", "logout", "view_on_site"}
    # Every registered model has its list in the table.
    assert {f"/admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry} <= {
        path for path, *_ in ADMIN_PAGES}
