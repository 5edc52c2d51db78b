import pytest

from solutions import services as solution_services
from solutions.selectors import criteria_of
from tests.factories import TicketFactory
from tests.solutions.factories import SolutionOptionFactory


@pytest.fixture
def ticket(engineer):
    return TicketFactory(owner=engineer, stage="implementation")


def approve(ticket, *, engineer, manager, approach="准备测试环境\n升级验证码服务\n上线并验证", days=9):
    """The real chapter 3 path: an option scored on every criterion, chosen, submitted, approved."""
    solution_services.design_get_or_create(ticket=ticket)
    option = SolutionOptionFactory(ticket=ticket, created_by=engineer, approach=approach, duration_days=days)
    cells = {(option.pk, criterion.pk): 4 for criterion in criteria_of(ticket)}
    solution_services.scores_save(ticket=ticket, values=cells, by=engineer)
    solution_services.option_choose(ticket=ticket, option=option, by=engineer)
    solution_services.design_submit(ticket=ticket, by=engineer)
    solution_services.design_approve(ticket=ticket, by=manager)
    ticket.refresh_from_db()
    return option


@pytest.fixture
def approved_ticket(engineer, manager):
    ticket = TicketFactory(owner=engineer, stage="design")
    approve(ticket, engineer=engineer, manager=manager)
    return ticket
