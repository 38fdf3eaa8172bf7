"""The Content-Security-Policy in a real browser, with JavaScript on (the admin and the API
docs run scripts): every page a manager opens loads, runs and draws without one violation,
and Swagger UI at /api/docs/ renders the API from this server alone."""

import pytest
from playwright.sync_api import expect

from movements.models import Movement
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

#: Words of every message Chromium logs when the policy blocks something.
VIOLATION = "Content Security Policy"

PAGES = [
    "/inventory/",
    "/inventory/?view=location",
    "/items/LDR-4.1/",
    "/items/LDR-4.1/history/",
    "/transfers/new/?sku=LDR-4.1&location=CHI",
    "/receipts/new/",
    "/movements/?location=CHI",
    "/locations/CHI/",
    "/shortfalls/",
    "/admin/",
    "/admin/inventory/item/",
    "/admin/movements/movement/?sku=LDR-4.1",
    "/admin/movements/movement/opening-balances/",
    "/admin/movements/movement/transfer/",
    "/admin/lots/lot/",
]


@pytest.fixture
def scripted_page(browser, live_server):
    """A browser tab with JavaScript on, recording what the console says and every
    ``securitypolicyviolation`` event (the page's own record of a blocked resource)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.console_messages_seen = []
    page.on("console", lambda message: page.console_messages_seen.append(message.text))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    yield page
    context.close()


def violations(page) -> list[str]:
    return [text for text in page.console_messages_seen if VIOLATION in text] + page.evaluate("window.__violations")


def test_the_api_docs_render_under_the_policy(scripted_page, tmp_path):
    page = scripted_page

    response = page.goto("/api/docs/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Hardfin Inventory API")
    expect(page.locator(".opblock-summary-path").filter(has_text="/api/transfers/")).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/api/items/{sku}/").first.click()
    expect(page.locator(".opblock.is-open")).to_be_visible()
    page.screenshot(path=tmp_path / "api-docs.png", full_page=False)
    assert violations(page) == []


def test_a_manager_works_through_pages_and_admin_without_a_violation(
    scripted_page, ldr_worked_example_by_manager, manager
):
    page = scripted_page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inventory/")

    for path in PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        assert "default-src 'none'" in response.headers["content-security-policy"], path
    # The admin's scripts run: its navigation sidebar toggles, and a movement's page opens.
    page.goto("/admin/inventory/item/")
    page.locator("#toggle-nav-sidebar").click()
    movement = Movement.objects.order_by("pk").first()
    assert page.goto(f"/movements/{movement.pk}/").status == 200  # a movement's record
    page.goto(f"/admin/movements/movement/{movement.pk}/change/")
    expect(page.locator("#content h2").first).to_be_visible()

    assert violations(page) == []
