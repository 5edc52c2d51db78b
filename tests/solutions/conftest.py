import pytest

from solutions import services
from solutions.selectors import criteria_of
from tests.factories import TicketFactory

from .factories import SolutionOptionFactory


@pytest.fixture
def ticket(engineer):
    return TicketFactory(owner=engineer, stage="design")


@pytest.fixture
def design(ticket):
    return services.design_get_or_create(ticket=ticket)


@pytest.fixture
def criteria(design, ticket):
    """SPEC's defaults: feasibility 30, cost 20, time 20, risk 15, customer impact 15."""
    return list(criteria_of(ticket))


def score_all(ticket, option, values, by):
    """Score `option` with `values` in criteria order."""
    cells = {(option.pk, c.pk): v for c, v in zip(criteria_of(ticket), values, strict=True)}
    services.scores_save(ticket=ticket, values=cells, by=by)


@pytest.fixture
def scored_options(ticket, criteria, engineer):
    """A: 3,4,5,2,4 → (90+80+100+30+60)/100 = 3.60. B: 5,2,3,4,5 → (150+40+60+60+75)/100 = 3.85."""
    a = SolutionOptionFactory(ticket=ticket, created_by=engineer)
    b = SolutionOptionFactory(ticket=ticket, created_by=engineer, estimated_cost="120000", risk_level="high")
    score_all(ticket, a, [3, 4, 5, 2, 4], engineer)
    score_all(ticket, b, [5, 2, 3, 4, 5], engineer)
    return a, b
