"""Every answer under /api/ that is an error is JSON with a readable ``detail`` (API.md,
issue 15): paths no URL pattern matches — every pattern under /api/, with a variant it does
not match, and unknown paths — and every error status the API can give, whoever produces it
(a view, DRF, Django's handlers, middleware)."""

import json
import re
from urllib.parse import quote, urlencode

import pytest
from django.db import OperationalError, connection
from django.middleware.csrf import _get_failure_view
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from tests.api_support import api, receive  # noqa: F401  (fixture)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory

METHODS = ["get", "post", "put", "patch", "delete", "options"]
#: Path segments no SKU, code or id can be: newlines, control and non-ASCII characters.
UNMATCHED_VALUES = ["a\nb", "\x04\n", "\u00a2\x12E", "\U00016791\u00b0\n", "x\n", "1\n"]
UNKNOWN_PATHS = ["/api/nothing-here/", "/api/nothing-here", "/api/\n", "/api/\u00ff/", "/api/items/x/y/",
                 "/api/lots/\n/trace/", "/api/%/", "/api/items/LDR-4.1/nothing/"]


def api_routes() -> list[str]:
    """Every URL pattern under /api/ as a path template (``/api/items/{sku}/``)."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    routes = []
    for route in walk(get_resolver().url_patterns, "/"):
        if not route.startswith("/api/"):
            continue
        route = route.replace("^", "").replace("$", "").replace("\\", "")
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if ".*" not in route and "(?s" not in route:  # the catch-all answers everything
            routes.append(route)
    return routes


ROUTES = api_routes()


def unmatched_variants(route: str) -> list[str]:
    """Paths that look like ``route`` but that it does not match."""
    names = re.findall(r"{(\w+)}", route)
    sample = {"sku": "LDR-4.1", "code": "CHI", "pk": "1"}
    variants = []
    for name in names:
        for value in UNMATCHED_VALUES:
            variants.append(route.format(**{**sample, name: value}))
    concrete = route.format(**sample)
    stem = concrete.rstrip("/")
    variants += [stem + "\n/", stem + "\n", concrete + "\n", concrete + "a\nb/", stem + "\x00/"]
    return variants


def request(client, method, path, **headers):
    return getattr(client, method)(quote(path, safe="/%"), **headers)


def assert_json_error(response, status, code=None):
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json", (response["Content-Type"], response.content[:200])
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and body["detail"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def test_the_walk_finds_every_api_path():
    assert {"/api/items/{sku}/", "/api/locations/{code}/", "/api/batches/{pk}/trace/", "/api/lots/{pk}/",
            "/api/shortfalls/{pk}/", "/api/stock/export.csv", "/api/auth/token/", "/api/docs/"} <= set(ROUTES)


@pytest.mark.parametrize("route", ROUTES)
def test_a_path_its_pattern_does_not_match_is_a_json_404(route, api, manager):
    client = api(manager)
    for path in unmatched_variants(route):
        for method in METHODS:
            assert_json_error(request(client, method, path), 404)


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "manager"])
def test_an_unknown_path_is_a_json_404(path, authenticated, api, manager):
    client = api(manager if authenticated else None)
    for method in METHODS:
        assert_json_error(request(client, method, path), 404)
        assert_json_error(request(client, method, path, HTTP_ACCEPT="text/html"), 404)  # a browser


def test_the_issues_examples_are_json_404s(api, manager):
    client = api(manager)
    for path in ["/api/batches/%C2%A2%12E/", "/api/items/%F0%96%9E%91%C2%B0%0A/", "/api/lots/a%0Ab/",
                 "/api/shortfalls/%04%0A/", "/api/nothing-here/"]:
        assert_json_error(client.get(path), 404)


# --- every error status ---------------------------------------------------------------------------

@pytest.fixture
def stocked(db, manager):
    item = ItemFactory(sku="LDR-4.1")
    chicago, _ = LocationFactory(code="CHI"), LocationFactory(code="MKE")
    receive(item=item, location=chicago, supplier=SupplierFactory(code="ACME"), user=manager, quantity="10")
    return item


TRANSFER = {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "1"}


def test_400_invalid_input(api, manager, stocked):
    body = assert_json_error(api(manager).post("/api/transfers/", {}, format="json"), 400)
    assert body["quantity"]


def test_400_a_request_django_refuses_before_any_view(settings, db):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = Client(HTTP_HOST="evil.example").get("/api/items/")

    assert_json_error(response, 400)


def test_401_no_credentials(api):
    response = api().get("/api/items/")

    assert_json_error(response, 401)
    assert response["WWW-Authenticate"] == "Token"


def test_403_not_allowed(api, nobody):
    assert_json_error(api(nobody).get("/api/items/"), 403)


def test_403_a_session_write_without_its_csrf_token(operator, stocked):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(operator)

    body = assert_json_error(client.post("/api/transfers/", TRANSFER, format="json"), 403)
    assert "CSRF" in body["detail"]


def test_403_django_csrf_failure_view_answers_json_under_the_api():
    view = _get_failure_view()

    assert_json_error(view(RequestFactory().post("/api/transfers/"), reason="CSRF cookie not set."), 403)
    page = view(RequestFactory().post("/transfers/new/"), reason="CSRF cookie not set.")
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_404_unknown_object(api, manager):
    assert_json_error(api(manager).get("/api/items/NOPE/"), 404)
    assert_json_error(api(manager).get("/api/movements/999999/"), 404)
    assert_json_error(api(manager).get("/api/items/?page=99"), 404)


@pytest.mark.parametrize("method, path", [
    ("put", "/api/movements/1/"), ("delete", "/api/movements/1/"), ("post", "/api/stock/"),
    ("post", "/api/docs/"), ("delete", "/api/schema/"), ("get", "/api/transfers/"), ("put", "/api/items/LDR-4.1/"),
])
def test_405_method_not_allowed(method, path, api, manager, stocked):
    response = request(api(manager), method, path)

    assert_json_error(response, 405)
    assert response["Allow"]


def test_406_an_accept_header_without_json(api, manager):
    assert_json_error(api(manager).get("/api/items/", HTTP_ACCEPT="text/html"), 406)


def test_409_conflicts_carry_a_code(api, manager, stocked):
    client = api(manager)
    assert_json_error(client.post("/api/transfers/", {**TRANSFER, "quantity": "11"}, format="json"), 409,
                      code="insufficient_stock")
    assert_json_error(client.delete("/api/items/LDR-4.1/"), 409, code="has_history")


def test_413_a_body_over_the_limit(api, manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api(manager).post("/api/transfers/", {**TRANSFER, "note": "x" * 2000}, format="json")

    assert_json_error(response, 413)


def test_415_a_body_that_is_not_json(api, manager):
    response = api(manager).post("/api/transfers/", urlencode(TRANSFER),
                                 content_type="application/x-www-form-urlencoded")

    assert_json_error(response, 415)


def test_422_an_idempotency_key_used_for_another_request(api, manager, stocked):
    client = api(manager)
    client.post("/api/transfers/", TRANSFER, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = client.post("/api/transfers/", {**TRANSFER, "quantity": "2"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k-1")

    assert_json_error(response, 422, code="idempotency_key_reused")


def test_429_throttled(api, manager, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "1/minute")
    client = api(manager)
    client.get("/api/items/")

    response = client.get("/api/items/")

    assert_json_error(response, 429, code="throttled")
    assert int(response["Retry-After"]) > 0


def test_500_an_unexpected_error(api, manager, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("inventory.api.ItemViewSet.get_queryset", broken)
    client = api(manager)
    client.raise_request_exception = False

    body = assert_json_error(client.get("/api/items/"), 500, code="server_error")
    assert "a bug" not in body["detail"]


def test_500_an_error_outside_any_view(db, monkeypatch):
    def broken(self, request):
        raise RuntimeError("a bug in middleware")

    monkeypatch.setattr("django.middleware.common.CommonMiddleware.process_request", broken)
    client = Client(raise_request_exception=False)

    assert_json_error(client.get("/api/items/"), 500, code="server_error")
    page = client.get("/inventory/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_503_the_database_stays_locked(manager, stocked, monkeypatch):
    from tests.api_support import client_for

    monkeypatch.setattr("hardfin.db.time.sleep", lambda seconds: None)
    client = client_for(manager)

    def locked(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(locked):
        response = client.post("/api/transfers/", TRANSFER, format="json")

    assert_json_error(response, 503, code="busy")
    assert response["Retry-After"] == "1"
