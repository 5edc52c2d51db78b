"""The Content-Security-Policy in a real browser: the main pages, their htmx parts, Bootstrap's menus, the
admin and the public pages load and work without a single policy violation (Chromium reports each one
as a securitypolicyviolation event and a console error)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from evaluation import services as evaluation_services
from tests.factories import TicketFactory

pytestmark = pytest.mark.browser

# Runs in every page before its own scripts; the policy does not apply to scripts the test injects.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " in " + event.sourceFile + ":" + event.lineNumber + " " + (event.sample || ""));
});
"""


@pytest.fixture
def watched(page):
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)

    def violations():
        # Each page's own list (it starts empty on every navigation) plus console errors so far.
        found = page.evaluate("window.__cspViolations || []")
        return found + [text for text in console if "Content Security Policy" in text]

    page.violations = violations
    return page


def _visit(page, path):
    response = page.goto(path)
    assert response is not None and response.status < 500, (path, response and response.status)
    page.wait_for_load_state("networkidle")
    assert page.violations() == [], path
    return response


def test_main_pages_load_without_policy_violations(watched, log_in, admin_user, engineer):
    admin_user.is_superuser = True
    admin_user.save()
    ticket = TicketFactory(owner=engineer, stage="evaluation")
    survey = evaluation_services.survey_create(ticket=ticket, by=engineer, delivery="shown")

    # Public pages first, signed out.
    for path in (reverse("login"), reverse("password_reset"), reverse("survey:answer", args=[survey.token])):
        assert "script-src 'self'" in _visit(watched, path).headers["content-security-policy"]

    log_in(admin_user)
    for path in (
        reverse("home"),
        reverse("diagnosis:list"),
        reverse("diagnosis:detail", args=[ticket.number]),
        reverse("requirements_analysis:analysis", args=[ticket.number]),
        reverse("solutions:design", args=[ticket.number]),
        reverse("solutions:approvals"),
        reverse("tracking:overview"),
        reverse("tracking:plan", args=[ticket.number]),
        reverse("evaluation:page", args=[ticket.number]),
        reverse("evaluation_reports:index"),
        reverse("knowledge:list"),
        reverse("notifications"),
        reverse("admin:index"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:toolkit_ticket_changelist"),
    ):
        _visit(watched, path)

    # The intake form's live parts (htmx): suggestions and similar tickets while typing.
    _visit(watched, reverse("diagnosis:new"))
    watched.fill("#id_description", "无法登录系统,提示验证码错误")
    watched.wait_for_timeout(800)
    watched.wait_for_load_state("networkidle")
    assert watched.violations() == []

    # Bootstrap's collapsing menu, in a narrow window.
    watched.set_viewport_size({"width": 800, "height": 900})
    watched.click("button.navbar-toggler")
    expect(watched.locator("#nav")).to_be_visible()
    assert watched.violations() == []

    # The language switch submits itself on change (was an inline onchange handler).
    with watched.expect_navigation():
        watched.select_option("select[name=language]", "en")
    expect(watched.locator("html")).to_have_attribute("lang", "en")
    assert watched.violations() == []

    # Two-factor set-up shows its QR code inline.
    _visit(watched, reverse("account_security"))
    with watched.expect_navigation():
        watched.click("#two-factor-start-form button")
    expect(watched.locator("#totp-qr svg")).to_be_visible()
    assert watched.violations() == []


def test_a_violation_would_be_seen(watched, live_server, db):
    """The check above can fail: an inline script on a page is reported."""
    _visit(watched, reverse("login"))
    watched.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    watched.wait_for_timeout(200)
    assert watched.evaluate("window.ran") is None
    assert any("script-src" in violation for violation in watched.violations())
