"""Accessibility (issue 17 item 12): axe-core, run in Chromium on every main page in Chinese and in English,
finds no serious or critical violation — every form field labelled, contrast of at least 4.5:1, badges
that carry text, names for buttons and links — and keyboard focus is visible.

axe-core comes inside the PyPI package axe-playwright-python (axe.min.js, no CDN at test time); it is put
into each page with Playwright's evaluate, which the Content-Security-Policy does not apply to.
"""

import io
import json
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from evaluation import services as evaluation_services
from knowledge.models import Article
from tests.factories import TicketFactory
from tests.tracking.factories import TaskFactory
from toolkit.choices import Stage
from toolkit.models import Ticket
from toolkit.sla import sla_start

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
# WCAG 2.0/2.1 A and AA, and axe's best practices (landmarks, one h1, …) reported but not blocking.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
}


def _seed():
    """seed_demo's generated tickets and its chapters' demo data: pages with real rows and badges."""
    call_command("seed_demo", "--tickets", "40", "--no-history", stdout=io.StringIO())


def _ticket_in(stage):
    return Ticket.objects.filter(stage=stage).order_by("id").first() or TicketFactory(stage=stage)


def _plans():
    """Tickets in implementation with plans (the demo may have none): P0 ends after its SLA, P1 in time."""
    today = timezone.localdate()
    for priority, days in (("P0", 5), ("P1", 0)):
        ticket = TicketFactory(stage=Stage.IMPLEMENTATION, priority=priority)
        sla_start(ticket)
        TaskFactory(ticket=ticket, planned_start=today, planned_end=today + timedelta(days=days))


def _signed_in_pages():
    implementation = _ticket_in(Stage.IMPLEMENTATION)
    evaluation = _ticket_in(Stage.EVALUATION)
    design = _ticket_in(Stage.DESIGN)
    analysis = _ticket_in(Stage.ANALYSIS)
    article = Article.objects.order_by("id").first()
    pages = {
        "dashboard": reverse("home"),
        "table": reverse("diagnosis:list"),
        "intake": reverse("diagnosis:new"),
        "ticket": reverse("diagnosis:detail", args=[implementation.number]),
        "requirements": reverse("requirements_analysis:analysis", args=[analysis.number]),
        "design": reverse("solutions:design", args=[design.number]),
        "approvals": reverse("solutions:approvals"),
        "tracking": reverse("tracking:overview"),
        "plan": reverse("tracking:plan", args=[implementation.number]),
        "evaluation": reverse("evaluation:page", args=[evaluation.number]),
        "results": reverse("evaluation_reports:index"),
        "knowledge": reverse("knowledge:list"),
        "import": reverse("diagnosis:import"),
        "notifications": reverse("notifications"),
        "account": reverse("account_security"),
    }
    if article is not None:
        pages["article"] = reverse("knowledge:detail", args=[article.pk])
    return pages


def _node_text(node) -> str:
    """Where and why: the selector, and for contrast the two colours and the ratio axe measured."""
    data = next((check.get("data") for check in node.get("any", []) if check.get("data")), None)
    why = ""
    if isinstance(data, dict) and "contrastRatio" in data:
        why = f" {data.get('fgColor')} on {data.get('bgColor')} = {data.get('contrastRatio')}"
    return " ".join(node["target"]) + why


def _blocking(results) -> list[str]:
    """One line per serious or critical violation: rule, impact, and where (its first 8 nodes)."""
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        where = " | ".join(_node_text(node) for node in violation["nodes"][:8])
        lines.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}×): {where}")
    return lines


def _check(page, axe, path, found, name):
    response = page.goto(path)
    assert response is not None and response.status < 400, (path, response and response.status)
    page.wait_for_load_state("networkidle")
    problems = _blocking(axe.run(page, options=AXE_OPTIONS))
    if problems:
        found[name] = problems


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_main_page_has_no_serious_accessibility_violation(
    page, live_server, log_in, manager, engineer, language
):
    _seed()
    _plans()
    ticket = TicketFactory(owner=engineer, stage=Stage.EVALUATION)
    survey = evaluation_services.survey_create(ticket=ticket, by=engineer, delivery="shown")
    language_cookie = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    page.context.add_cookies(language_cookie)
    axe = Axe()
    found: dict[str, list[str]] = {}

    # Public pages, signed out (the survey in the customer's language through its ?lang= link).
    _check(page, axe, reverse("login"), found, "login")
    _check(page, axe, reverse("password_reset"), found, "password reset")
    _check(page, axe, f"{reverse('survey:answer', args=[survey.token])}?lang={language}", found, "survey")

    log_in(manager)
    page.context.add_cookies(language_cookie)  # the login may have set the account's language
    for name, path in _signed_in_pages().items():
        _check(page, axe, path, found, name)
    assert page.evaluate("document.documentElement.lang") == language

    assert not found, "\n" + json.dumps(found, ensure_ascii=False, indent=1)


FOCUS_STYLE = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return [e.tagName + (e.id ? "#" + e.id : "") + " " + (e.textContent || e.name || "").trim().slice(0, 20),
          s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow];
}"""


@pytest.mark.parametrize("path_name", ["diagnosis:new", "diagnosis:list"])
def test_keyboard_focus_is_visible(page, log_in, manager, path_name):
    """Tabbing through the menu and the page, every focused link, button and field draws a ring of at
    least 2 px (an outline, or Bootstrap's box-shadow) — something axe cannot see."""
    log_in(manager)
    # Bootstrap fades the focus box-shadow in over 0.15 s, unless the reader asks for reduced motion:
    # ask for it, so the style read right after Tab is the final one, not the first frame of the fade.
    page.emulate_media(reduced_motion="reduce")
    page.goto(reverse(path_name))
    page.wait_for_load_state("networkidle")
    seen, invisible = [], []
    for _ in range(30):
        page.keyboard.press("Tab")
        name, outline, width, shadow = page.evaluate(FOCUS_STYLE)
        # Chromium focuses a date-time field's inner segment (year, month, …), which draws its own
        # highlight; the host's computed outline then depends on the segment and the clock: not judged.
        if page.evaluate("document.activeElement && document.activeElement.type") == "datetime-local":
            continue
        seen.append(name)
        if name.startswith("BODY"):
            continue
        if (outline == "none" or width < 2) and shadow in ("none", ""):
            invisible.append(f"{name}: outline {outline} {width}px, box-shadow {shadow}")
    assert len(set(seen)) > 10  # the walk went through the menu and into the page
    assert invisible == []
