"""Score arithmetic and the ranked order, in Python and in SQL."""

import pytest

from requirements_analysis.models import MoSCoW
from requirements_analysis.selectors import ranked_items
from tests.factories import TicketFactory

from .factories import RequirementItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "urgency", "effort", "score"),
    [(1, 1, 5, 5), (5, 5, 1, 25), (3, 3, 3, 15), (5, 2, 4, 16), (2, 5, 1, 19)],
)
def test_score_is_two_value_plus_two_urgency_plus_reversed_effort(value, urgency, effort, score):
    item = RequirementItemFactory(value=value, urgency=urgency, effort=effort)
    assert item.score == score
    assert ranked_items(item.ticket).get().rank_score == score


def test_ranking_orders_by_score_then_moscow_then_position():
    ticket = TicketFactory()
    low = RequirementItemFactory(ticket=ticket, summary="low", value=1, urgency=1, effort=5, position=0)
    could = RequirementItemFactory(ticket=ticket, summary="could", moscow=MoSCoW.COULD, position=1)
    must_late = RequirementItemFactory(ticket=ticket, summary="must-late", moscow=MoSCoW.MUST, position=3)
    must_early = RequirementItemFactory(ticket=ticket, summary="must-early", moscow=MoSCoW.MUST, position=2)
    top = RequirementItemFactory(
        ticket=ticket, summary="top", value=5, urgency=5, effort=1, moscow=MoSCoW.WONT, position=4
    )
    RequirementItemFactory(summary="other ticket", value=5, urgency=5, effort=1)

    ranked = list(ranked_items(ticket))

    assert [item.summary for item in ranked] == ["top", "must-early", "must-late", "could", "low"]
    assert [item.rank_score for item in ranked] == [25, 15, 15, 15, 5]
    assert all(item.rank_score == item.score for item in ranked)
    assert {top.pk, must_early.pk, must_late.pk, could.pk, low.pk} == {item.pk for item in ranked}


def test_moscow_order_is_must_should_could_wont_at_equal_score():
    ticket = TicketFactory()
    for position, moscow in enumerate([MoSCoW.WONT, MoSCoW.COULD, MoSCoW.SHOULD, MoSCoW.MUST]):
        RequirementItemFactory(ticket=ticket, moscow=moscow, position=position)
    assert [item.moscow for item in ranked_items(ticket)] == ["must", "should", "could", "wont"]
