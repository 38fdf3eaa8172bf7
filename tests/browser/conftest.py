"""Real-browser tests: Debian's Chromium driven by Playwright (sync API) against
pytest-django's live server. No browser is ever downloaded.

The pages work without JavaScript (their one script, the pickers', only adds to them), so the
browser runs with JavaScript off unless a test says otherwise: every such scenario also shows
that the pages work without it. Screenshots go to each test's ``tmp_path``.
"""

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop running in this thread, which Django would
    # otherwise take for async code and refuse to query the database from.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        test_connections = {alias: connections[alias] for alias in connections}
        with sync_playwright() as playwright:
            # Starting Playwright also switches the context this thread runs in, and Django
            # keeps its connections per context: put back the ones the test database was set
            # up on (they carry what serialized_rollback restores between tests).
            for alias, connection in test_connections.items():
                connections[alias] = connection
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1024, "height": 900},  # a tablet held sideways
        java_script_enabled=False,
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in_on(page, user):
    """Sign in through the sign-in page, as a person would; lands on the inventory."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inventory/")
    return page


@pytest.fixture
def sign_in(page):
    """``sign_in(user)`` on the test's page."""
    return lambda user: sign_in_on(page, user)


@pytest.fixture
def signed_in_page(browser, live_server):
    """``signed_in_page(user, viewport, javascript=False, **options)``: a signed-in page in a
    browser context of its own (``options`` go to ``new_context``), closed after the test."""
    contexts = []

    def open_page(user, viewport, *, javascript=False, **options):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, java_script_enabled=javascript,
                                      accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return sign_in_on(context.new_page(), user)

    yield open_page
    for context in contexts:
        context.close()
