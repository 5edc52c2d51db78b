"""Browser-side protections in the headers: a Content-Security-Policy on every page, and no-store on
everything the app answers (pages, fragments, exports, the survey link) but not on static files."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import TicketFactory


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.fixture
def ticket(manager):
    return TicketFactory(owner=manager)


def _pages(ticket):
    return [
        reverse("home"),
        reverse("diagnosis:list"),
        reverse("diagnosis:new"),
        reverse("diagnosis:detail", args=[ticket.number]),
        reverse("knowledge:list"),
        reverse("tracking:overview"),
        reverse("account_security"),
        reverse("admin:index"),
    ]


def test_every_page_has_a_policy_without_inline_script(client, manager, ticket):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    anonymous = [reverse("login"), reverse("password_reset"), "/survey/" + "x" * 43 + "/"]
    for path in _pages(ticket) + anonymous:
        if path in anonymous:
            client.logout()
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["default-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], path
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], path
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], path


def test_pages_fragments_and_exports_are_never_stored(manager_client, ticket):
    for path in (
        reverse("home"),
        reverse("diagnosis:detail", args=[ticket.number]),
        reverse("diagnosis:export"),
        reverse("notifications_unread"),
        reverse("account_security"),
    ):
        response = manager_client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path
        if response.streaming:
            b"".join(response.streaming_content)


def test_public_pages_are_never_stored_either(client, db):
    for path in (reverse("login"), "/survey/" + "x" * 43 + "/"):
        assert "no-store" in client.get(path)["Cache-Control"], path


def test_static_files_stay_cacheable(client, db, settings):
    # WhiteNoise answers static files above the no-store middleware; here it finds them without collectstatic.
    settings.WHITENOISE_USE_FINDERS = True
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    b"".join(response.streaming_content)


def test_templates_have_no_inline_script_or_handlers():
    """The policy would block them; the browser test finds what this misses (htmx, Bootstrap)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(template.relative_to(root)))
        if re.search(r"<style[\s>]", text):
            offenders.append(str(template.relative_to(root)))
    assert offenders == []


def test_no_template_of_ours_carries_a_style_attribute_or_an_inline_handler():
    """The policy refuses inline styles and handlers: one in a template would silently not apply."""
    root = Path(__file__).resolve().parents[2]
    offending = []
    for template in [*root.glob("templates/**/*.html"), *root.glob("*/templates/**/*.html")]:
        if ".venv" in template.parts:
            continue
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"""\s(style|on[a-z]+)\s*=\s*["']""", text):
            line = text.count("\n", 0, match.start()) + 1
            offending.append(f"{template.relative_to(root)}:{line}: {match.group(1)}=")
    assert offending == []
