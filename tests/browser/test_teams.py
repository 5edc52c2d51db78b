"""Teams in a real browser (issue 14 §1): the ticket page's card reassigns (转派) with a reason, the
ticket's team offered first, and follows; the teams pages read well on a phone and a desktop, in
Chinese and English (no serious or critical axe violation, nothing wider than the screen)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from teams.models import Follower, Membership, RoutingRule, Team, TicketTeam
from tests.factories import TicketFactory, UserFactory
from toolkit.models import Ticket

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
}


@pytest.fixture
def team(db):
    lead = UserFactory(username="dba_wang", first_name="王磊", job_title="数据库工程师", role="engineer")
    team = Team.objects.create(name="数据库组", lead=lead)
    Membership.objects.create(team=team, user=lead)
    Membership.objects.create(
        team=team, user=UserFactory(username="ops_sun", first_name="孙强", role="engineer")
    )
    RoutingRule.objects.create(team=team, order=10, keywords="数据库, SQL")
    return team


def test_the_owner_reassigns_inside_the_team_with_a_reason_and_follows(page, log_in, team):
    owner = team.lead
    ticket = TicketFactory(owner=owner, recorded_by=owner, description="数据库连接池耗尽")
    TicketTeam.objects.create(ticket=ticket, team=team)
    UserFactory(username="outsider", first_name="外人", role="engineer")
    log_in(owner)
    page.goto(ticket.get_absolute_url())
    card = page.locator("#teams-panel")
    assert "数据库组" in card.inner_text()
    card.locator("#teams-reassign summary").click()
    # The team first: its group of options comes before everyone else.
    assert card.locator("#teams-owner optgroup").first.get_attribute("label") == "数据库组"
    card.locator("#teams-owner").select_option(label="技术工程师孙强")
    card.locator("#teams-reason").fill("我去现场,孙强接手")
    with page.expect_navigation():
        card.locator("#teams-reassign button[type=submit]").click()
    assert "孙强" in page.locator(".alert").first.inner_text()
    assert Ticket.objects.get(pk=ticket.pk).owner.username == "ops_sun"
    with page.expect_navigation():
        page.locator("#teams-follow").click()
    assert Follower.objects.filter(ticket=ticket, user=owner).exists()
    assert page.locator("#teams-follow").inner_text() == "取消关注"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", [390, 1400])
def test_the_teams_pages_read_well(page, live_server, log_in, manager, team, language, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(manager)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    for path in (
        "/teams/",
        f"/teams/{team.pk}/",
        "/teams/rules/?problem_type=functional&source=phone&description=SQL",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        results = Axe().run(page, options=AXE_OPTIONS)
        blocking = [v["id"] for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
        assert blocking == [], (path, blocking)
    assert "数据库组" in page.locator("#route-preview-result").inner_text()
