"""Four-eyes on solution designs: whoever wrote any part of a design — an option, a score, the criteria,
the coverage, the choice, the rollback plan or the submission — may not decide on it, even when someone
else pressed "submit"."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from solutions import services
from solutions.models import DesignStatus, SolutionDesign
from solutions.selectors import criteria_of, designs_awaiting_decision
from tests.factories import UserFactory
from toolkit.models import StageChange

from .conftest import score_all
from .factories import SolutionOptionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket):
    return reverse(f"solutions:{name}", kwargs={"number": ticket.number})


@pytest.fixture
def second_manager(db):
    return UserFactory(username="second-manager", role="manager")


def _submit(ticket, engineer, option):
    services.option_choose(ticket=ticket, option=option, by=engineer)
    services.design_submit(ticket=ticket, by=engineer)


def _refused(ticket, manager):
    with pytest.raises(ValidationError) as caught:
        services.design_approve(ticket=ticket, by=manager, comment="同意")
    assert caught.value.code == "own_design"
    with pytest.raises(ValidationError):
        services.design_reject(ticket=ticket, by=manager, comment="再想想")
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED
    assert not StageChange.objects.filter(ticket=ticket).exists()


def test_manager_who_wrote_an_option_cannot_approve(ticket, criteria, engineer, manager, second_manager):
    option = services.option_create(
        ticket=ticket, by=manager, approach="扩容验证码服务", estimated_cost=1000, duration_days=2, people=1
    )
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    _submit(ticket, engineer, option)
    _refused(ticket, manager)
    # Another manager, who wrote nothing of it, may.
    services.design_approve(ticket=ticket, by=second_manager, comment="同意")
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.APPROVED


def test_manager_who_changed_an_option_cannot_approve(ticket, criteria, engineer, manager):
    option = SolutionOptionFactory(ticket=ticket, created_by=engineer)
    services.option_update(option=option, by=manager, approach="换成读写分离")
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    _submit(ticket, engineer, option)
    _refused(ticket, manager)


def test_manager_who_scored_cannot_approve(ticket, criteria, engineer, manager):
    option = SolutionOptionFactory(ticket=ticket, created_by=engineer)
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    services.scores_save(ticket=ticket, values={(option.pk, criteria_of(ticket)[0].pk): 5}, by=manager)
    _submit(ticket, engineer, option)
    _refused(ticket, manager)


def test_manager_who_set_the_weights_cannot_approve(ticket, criteria, engineer, manager):
    option = SolutionOptionFactory(ticket=ticket, created_by=engineer)
    rows = [
        {"id": c.pk, "name": c.display_name, "weight": w}
        for c, w in zip(criteria, [60, 10, 10, 10, 10], strict=True)
    ]
    services.criteria_replace(ticket=ticket, rows=rows, by=manager)
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    _submit(ticket, engineer, option)
    _refused(ticket, manager)


def test_author_gets_no_decide_buttons_and_a_refusal(
    manager_client, ticket, criteria, engineer, manager, second_manager, client
):
    option = SolutionOptionFactory(ticket=ticket, created_by=engineer)
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    services.scores_save(ticket=ticket, values={(option.pk, criteria_of(ticket)[1].pk): 5}, by=manager)
    _submit(ticket, engineer, option)

    page = manager_client.get(url("design", ticket)).content.decode()
    assert 'id="decide-form"' not in page and 'id="own-design-note"' in page
    response = manager_client.post(url("decide", ticket), {"decision": "approve", "comment": "ok"}, **HTMX)
    assert "须由另一位经理审批" in response.content.decode()
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED
    queue = manager_client.get(reverse("solutions:approvals")).content.decode()
    assert 'class="badge text-bg-light border own-design"' in queue

    client.force_login(second_manager)
    assert 'id="decide-form"' in client.get(url("design", ticket)).content.decode()
    assert 'own-design"' not in client.get(reverse("solutions:approvals")).content.decode()


def test_queue_marks_designs_the_manager_worked_on(ticket, criteria, engineer, manager, second_manager):
    option = SolutionOptionFactory(ticket=ticket, created_by=manager)
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    _submit(ticket, engineer, option)
    assert [d.authored_by_me for d in designs_awaiting_decision(manager)] == [True]
    assert [d.authored_by_me for d in designs_awaiting_decision(second_manager)] == [False]
