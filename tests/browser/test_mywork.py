"""My work in a real browser (issue 14 §2): an engineer's home at "/", in Chinese and English, on a phone
(390 px) and a desktop (1400 px): no serious or critical axe violation, nothing wider than the screen."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone

from diagnosis.services import saved_filter_save
from tests.factories import TicketFactory, UserFactory
from toolkit import events
from toolkit.choices import EventKind, SlaState

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", [390, 1400])
def test_my_work_reads_well_on_a_phone_and_a_desktop(page, live_server, log_in, engineer, language, width):
    now = timezone.now()
    boss = UserFactory(username="boss", first_name="张经理", role="manager")
    TicketFactory(owner=engineer, sla_state=SlaState.BREACHED, sla_due_at=now - timedelta(hours=2))
    TicketFactory(owner=engineer, sla_state=SlaState.AT_RISK, sla_due_at=now + timedelta(minutes=30))
    theirs = TicketFactory(owner=boss)
    events.notify(
        kind=EventKind.MENTIONED,
        recipients=[engineer],
        actor=boss,
        ticket=theirs,
        params={"excerpt": "看一下"},
    )
    saved_filter_save(user=engineer, name="我的P0", query_string="owner=me&priority=P0")

    page.set_viewport_size({"width": width, "height": 900})
    log_in(engineer)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == ("我的工作" if language == "zh-hans" else "My work")
    assert page.locator("#mywork-tickets li").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    results = Axe().run(page, options=AXE_OPTIONS)
    blocking = [v["id"] for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert blocking == []
