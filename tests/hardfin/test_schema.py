"""The OpenAPI schema describes every endpoint of API.md, validates, and its docs page is
served from local files."""

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.api_support import api  # noqa: F401  (fixture)

#: Every path of API.md (and the auth endpoint), with the methods it answers.
CONTRACT = {
    "/api/auth/token/": {"post"},
    "/api/items/": {"get", "post"},
    "/api/items/{sku}/": {"get", "patch", "delete"},
    "/api/locations/": {"get", "post"},
    "/api/locations/{code}/": {"get", "patch", "delete"},
    "/api/suppliers/": {"get", "post"},
    "/api/suppliers/{code}/": {"get", "patch", "delete"},
    "/api/stock/": {"get"},
    "/api/stock/by-item/": {"get"},
    "/api/stock/by-location/": {"get"},
    "/api/stock/export.csv": {"get"},
    "/api/lots/": {"get"},
    "/api/lots/{id}/": {"get"},
    "/api/batches/": {"get"},
    "/api/batches/{id}/": {"get", "patch"},
    "/api/batches/{id}/trace/": {"get"},
    "/api/movements/": {"get"},
    "/api/movements/{id}/": {"get"},
    "/api/transfers/": {"post"},
    "/api/adjustments/": {"post"},
    "/api/receipts/": {"post"},
    "/api/builds/": {"post"},
    "/api/replacements/": {"post"},
    "/api/adjustment-reasons/": {"get"},
    "/api/shortfalls/": {"get"},
    "/api/shortfalls/{id}/": {"get"},
    "/api/valuation/": {"get"},
    "/api/valuation/export.csv": {"get"},
    "/api/valuation/export.xlsx": {"get"},
    "/api/reports/rollforward/": {"get"},
    "/api/reports/rollforward.csv": {"get"},
    "/api/reports/rollforward.xlsx": {"get"},
    "/api/counts/": {"get", "post"},
    "/api/counts/{id}/": {"get"},
    "/api/counts/{id}/entries/": {"post"},
    "/api/counts/{id}/post/": {"post"},
    "/api/counts/{id}/cancel/": {"post"},
    "/api/reorder-points/": {"get", "post"},
    "/api/reorder-points/{id}/": {"get", "patch", "delete"},
    "/api/jobs/{id}/": {"get"},
    "/api/jobs/{id}/result": {"get"},
}
WRITES = {"post", "patch", "delete"}


@pytest.fixture
def schema(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_schema_describes_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert {path: set(operations) - {"parameters"} for path, operations in schema["paths"].items()} == CONTRACT


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"429", "503"} <= codes, (method, path)
            if path != "/api/auth/token/":
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in WRITES:
                assert {"400", "413", "415"} <= codes, (method, path)
            if method in WRITES and path != "/api/auth/token/":
                assert {"409", "422"} <= codes, (method, path)
                assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]], (method, path)


def test_every_error_response_is_json_with_a_detail(schema):
    components = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                assert set(response["content"]) == {"application/json"}, (method, path, status)
                component = components[response["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
                assert "detail" in component["required"], (method, path, status)


def test_coded_errors_and_their_headers_are_described(schema):
    components = schema["components"]["schemas"]
    transfer = schema["paths"]["/api/transfers/"]["post"]["responses"]

    def codes(component):
        code = components[component]["properties"]["code"]
        return components[code["$ref"].split("/")[-1]]["enum"] if "$ref" in code else code["enum"]

    assert codes("Busy") == ["busy"]
    assert codes("Throttled") == ["throttled"]
    assert codes("IdempotencyKeyReused") == ["idempotency_key_reused"]
    assert transfer["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/Busy")
    assert transfer["503"]["headers"]["Retry-After"]["required"] is True
    assert "Retry-After" in transfer["429"]["headers"]
    assert "WWW-Authenticate" in transfer["401"]["headers"]


def test_skus_and_codes_carry_their_character_set_and_length(schema):
    components = schema["components"]["schemas"]
    key = "^[A-Za-z0-9._-]+$"
    for component, field, length in [
        ("TransferInputRequest", "sku", 64), ("TransferInputRequest", "from_location", 32),
        ("TransferInputRequest", "to_location", 32), ("LineInputRequest", "sku", 64),
        ("ReceiptInputRequest", "supplier", 32), ("ReceiptInputRequest", "location", 32),
        ("AdjustmentInputRequest", "location", 32), ("ItemRequest", "sku", 64), ("LocationRequest", "code", 32),
        ("SupplierRequest", "code", 32),
    ]:
        described = components[component]["properties"][field]
        assert (described["pattern"], described["minLength"], described["maxLength"]) == (key, 1, length), (
            component, field)
    for path, name, length in [("/api/items/{sku}/", "sku", 64), ("/api/locations/{code}/", "code", 32),
                               ("/api/suppliers/{code}/", "code", 32)]:
        for operation in schema["paths"][path].values():
            [parameter] = [p for p in operation["parameters"] if p["in"] == "path"]
            assert parameter["schema"]["pattern"] == f"^[A-Za-z0-9._-]{{1,{length}}}$", (path, name)


def test_a_sku_outside_the_character_set_is_refused_as_the_schema_says(api, manager):
    response = api(manager).post("/api/transfers/", {"sku": "LDR 4.1", "from_location": "CHI",
                                                     "to_location": "MKE", "quantity": "1"}, format="json")

    assert response.status_code == 400
    assert response.json()["sku"] == ["Use only letters, digits, '.', '-' and '_' (no spaces)."]


def test_filters_and_quantities_are_described(schema):
    stock = schema["paths"]["/api/stock/"]["get"]
    stock_parameters = {p["name"] for p in stock["parameters"]}
    # The stock list pages with a cursor (docs/api.md, "Pagination"): no page numbers, no count.
    assert {"item", "location", "search", "include_empty", "cursor", "page_size"} <= stock_parameters
    assert "page" not in stock_parameters
    page_schema = stock["responses"]["200"]["content"]["application/json"]["schema"]
    page_schema = schema["components"]["schemas"][page_schema["$ref"].rsplit("/", 1)[1]]
    assert set(page_schema["properties"]) == {"next", "previous", "results"}
    assert {p["name"] for p in schema["paths"]["/api/movements/"]["get"]["parameters"]} >= {
        "item", "location", "kind", "since", "until", "reference", "ordering", "cursor", "page_size"}
    components = schema["components"]["schemas"]
    assert components["Movement"]["properties"]["quantity"]["type"] == "string"
    assert {s["type"] for s in components["TransferInputRequest"]["properties"]["quantity"]["oneOf"]} == {
        "string", "number"}
    assert schema["paths"]["/api/stock/export.csv"]["get"]["responses"]["200"]["content"] == {
        "text/csv": {"schema": {"type": "string"}}}
    assert set(components["Conflict"]["properties"]) >= {
        "code", "detail", "sku", "location", "requested", "available", "shortages"}


def test_schema_validates_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/transfers/" in (tmp_path / "schema.yaml").read_text()


def test_docs_page_uses_only_local_files(api):
    response = api().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page and "http://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}")
