"""The demo seed: verified tickets, answers in the months the tickets were logged, follow-ups, actions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demo.scenarios import scenario_named
from evaluation import demo
from evaluation.models import FollowUp, ImprovementAction, SurveyResponse, Verification
from evaluation.selectors import ticket_results
from tests.factories import TicketFactory
from toolkit.choices import Stage

pytestmark = pytest.mark.django_db


def test_seed(engineer, manager):
    now = timezone.now()
    tickets = [
        TicketFactory(owner=engineer, stage=Stage.CLOSED, recorded_at=now - timedelta(days=30 * month + 10))
        for month in range(8)
    ]
    tickets += [
        TicketFactory(owner=engineer, stage=Stage.EVALUATION, recorded_at=now - timedelta(days=2))
        for _ in range(4)
    ]
    tickets += [TicketFactory(owner=engineer, stage=Stage.DIAGNOSIS)]
    users = {"engineer": engineer, "manager": manager, "admin": manager}
    demo.seed(tickets=tickets, users=users, now=now, scenarios={})
    assert Verification.objects.count() == 12
    assert FollowUp.objects.count() == 12
    answers = list(SurveyResponse.objects.all())
    assert len(answers) == 9
    months = {timezone.localtime(answer.submitted_at).strftime("%Y-%m") for answer in answers}
    assert len(months) >= 5
    assert all(answer.submitted_at <= now for answer in answers)
    # Verified after the ticket was logged, never in the future.
    for verification in Verification.objects.select_related("ticket"):
        assert verification.ticket.recorded_at <= verification.verified_at <= now
    assert ImprovementAction.objects.count() == 4
    assert ticket_results(tickets[0]).scores is not None
    # Running it again adds nothing twice.
    users = {"engineer": engineer, "manager": manager, "admin": manager}
    demo.seed(tickets=tickets, users=users, now=now, scenarios={})
    assert Verification.objects.count() == 12 and ImprovementAction.objects.count() == 4


def test_verification_and_improvement_follow_the_tickets_scenario(engineer, manager):
    now = timezone.now()
    printing = scenario_named("printing")
    ticket = TicketFactory(owner=engineer, stage=Stage.CLOSED, recorded_at=now - timedelta(days=20))
    users = {"engineer": engineer, "manager": manager, "admin": manager}
    demo.seed(tickets=[ticket], users=users, now=now, scenarios={ticket.pk: printing})
    assert Verification.objects.get(ticket=ticket).note == printing.verification
    assert ImprovementAction.objects.filter(ticket=ticket, description=printing.improvement).exists()
