"""The fragment the ticket detail page includes, and its selector (two queries)."""

import pytest
from django.template.loader import render_to_string

from requirements_analysis.models import ConfirmationStatus, MoSCoW, RequirementKind
from requirements_analysis.selectors import analysis_panel
from tests.factories import TicketFactory

from .factories import RequirementItemFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("items", [1, 8])
def test_panel_selector_takes_two_queries(items, django_assert_num_queries):
    ticket = TicketFactory()
    for index in range(items):
        RequirementItemFactory(ticket=ticket, moscow=MoSCoW.MUST if index % 2 == 0 else MoSCoW.COULD)
    RequirementItemFactory(ticket=ticket, kind=RequirementKind.CONSTRAINT, constraint_type="text", value=5)
    StakeholderFactory(ticket=ticket, status=ConfirmationStatus.CONFIRMED)
    StakeholderFactory(ticket=ticket)
    with django_assert_num_queries(2):
        panel = analysis_panel(ticket)
    assert panel.consensus.item_count == items + 1
    assert panel.must_count == (items + 1) // 2
    assert panel.constraint_count == 1
    assert (panel.consensus.stakeholder_count, panel.consensus.confirmed_count) == (2, 1)
    assert not panel.consensus.is_confirmed
    assert len(panel.top_items) == min(3, items + 1)
    assert panel.top_items[0].kind == RequirementKind.CONSTRAINT  # value 5: highest score


def test_panel_of_a_ticket_without_analysis_takes_one_query(django_assert_num_queries):
    ticket = TicketFactory()
    with django_assert_num_queries(1):
        panel = analysis_panel(ticket)
    assert panel.top_items == [] and panel.consensus.item_count == 0


def test_panel_fragment_links_to_the_analysis(rf, engineer):
    ticket = TicketFactory()
    RequirementItemFactory(ticket=ticket, summary="导出需包含历史版本记录")
    StakeholderFactory(ticket=ticket, status=ConfirmationStatus.CONFIRMED)
    request = rf.get("/")
    request.user = engineer
    html = render_to_string(
        "requirements_analysis/_ticket_panel.html",
        {"ticket": ticket, "requirements_panel": analysis_panel(ticket)},
        request=request,
    )
    assert f"/requirements/{ticket.number}/" in html
    assert "导出需包含历史版本记录" in html
    assert "已确认" in html
