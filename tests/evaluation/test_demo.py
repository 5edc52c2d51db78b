"""The demo seed: verified tickets, answers over the last six months, follow-ups, improvement actions."""

import pytest
from django.utils import timezone

from evaluation import demo
from evaluation.models import FollowUp, ImprovementAction, SurveyResponse, Verification
from evaluation.selectors import ticket_results
from tests.factories import TicketFactory
from toolkit.choices import Stage

pytestmark = pytest.mark.django_db


def test_seed(engineer, manager):
    now = timezone.now()
    tickets = [TicketFactory(owner=engineer, stage=Stage.CLOSED) for _ in range(8)]
    tickets += [TicketFactory(owner=engineer, stage=Stage.EVALUATION) for _ in range(4)]
    tickets += [TicketFactory(owner=engineer, stage=Stage.DIAGNOSIS)]
    demo.seed(tickets=tickets, users={"engineer": engineer, "manager": manager, "admin": manager}, now=now)
    assert Verification.objects.count() == 12
    assert FollowUp.objects.count() == 12
    answers = list(SurveyResponse.objects.all())
    assert len(answers) == 9
    months = {timezone.localtime(answer.submitted_at).strftime("%Y-%m") for answer in answers}
    assert len(months) >= 5
    assert all(answer.submitted_at <= now for answer in answers)
    assert ImprovementAction.objects.count() == 4
    assert ticket_results(tickets[0]).scores is not None
    # Running it again adds nothing twice.
    demo.seed(tickets=tickets, users={"engineer": engineer, "manager": manager, "admin": manager}, now=now)
    assert Verification.objects.count() == 12 and ImprovementAction.objects.count() == 4
