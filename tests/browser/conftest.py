"""Browser tests: headless Chromium (Debian's, not Playwright's download) against pytest-django's live_server.

Three things here are easy to get wrong:

* Playwright's sync API keeps an asyncio event loop *running* in the main thread from
  ``sync_playwright().start()`` until ``stop()``. Django refuses ORM calls from a thread with a
  running loop (SynchronousOnlyOperation), yet the test code and its factories use the ORM while
  the browser is open. No coroutine ever touches the database here: the loop only sits in another
  greenlet waiting for the browser's messages, and the live server answers requests in its own
  thread. So the check is switched off with DJANGO_ALLOW_ASYNC_UNSAFE, but only while Playwright
  runs, and the previous value is put back when it stops.
* Because the loop keeps running as long as the session-scoped browser lives, the browser tests are
  moved to the very end of the run (``pytest_collection_modifyitems`` below); no other test ever
  runs with a running loop or with the variable set.
* live_server means transactional_db: every test ends with a flush, which also deletes the SLA
  defaults that migration toolkit/0004_sla_defaults made. ``_migration_data`` puts them back before
  each test (the role groups come back by themselves: the flush's post_migrate runs sync_roles).
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import restore_migration_data

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true")
VIEWPORT = {"width": 1400, "height": 900}
PASSWORD = "pass-Word-123"  # tests.factories.UserFactory's password
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def _is_browser_test(item) -> bool:
    return item.get_closest_marker("browser") is not None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests last (after pytest-django's own ordering), so Playwright's loop ends with them."""
    items.sort(key=_is_browser_test)


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium')"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run them, not skip them", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    # Playwright's loop runs in this thread while the tests and factories use the ORM here (see the
    # module docstring); no coroutine touches the database, so Django's async-safety check is lifted
    # for as long as Playwright runs, and only then.
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(autouse=True)
def _migration_data(transactional_db):
    """Recreate the SLA defaults and the calendar row the migrations made (a flush before this test may
    have emptied them)."""
    restore_migration_data()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test: Chinese first, like the team's browsers, downloads allowed."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=VIEWPORT, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def log_in(page):
    """Log in through the real login form, as a person would."""

    def log_in_as(user, password=PASSWORD):
        page.goto(reverse("login"))
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/accounts/login/" not in page.url, "login failed"
        return page

    return log_in_as


@pytest.fixture
def screenshot(page):
    """Full-page screenshot into docs/screenshots/, only with SCREENSHOTS=1 (CI never rewrites them)."""

    def take(name):
        if os.environ.get("SCREENSHOTS") != "1":
            return None
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
