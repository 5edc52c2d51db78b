"""The API tokens page and the API docs page in a real browser: no policy violation, no serious
accessibility problem, the new token shown once and accepted by the API; Swagger UI renders from the
app's own static files."""

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.browser.test_accessibility import AXE_OPTIONS, _blocking
from tests.browser.test_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser


def test_tokens_page_and_docs_page(page, live_server, log_in, engineer):
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(engineer)
    page.goto(reverse("account_security"))
    page.click("#api-tokens a")
    page.fill("#id_name", "报表脚本")
    page.select_option("#id_scope", "read")
    with page.expect_navigation():
        page.click("input[name=create], button[name=create]")
    secret = page.inner_text("#new-token-value").strip()
    assert secret.startswith("stk_")
    assert page.evaluate("window.__cspViolations") == []
    assert _blocking(Axe().run(page, options=AXE_OPTIONS)) == []
    # The token works against the running server; the page does not show it again.
    answer = requests.get(
        f"{live_server.url}/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["results"] == []
    page.reload()
    assert secret not in page.content()

    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/tickets" in [path.strip() for path in paths]
    assert page.evaluate("window.__cspViolations") == []
