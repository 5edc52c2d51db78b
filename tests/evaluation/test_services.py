"""Results arithmetic on known data, verification and closing, recurrence linking, follow-up reminders."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from evaluation import services
from evaluation.models import (
    ActionStatus,
    FollowUp,
    Recurrence,
    Survey,
    SurveyResponse,
    Verification,
    VerificationMethod,
)
from evaluation.reminders import follow_up_scan
from evaluation.selectors import evaluation_panel, recurrence_candidates, ticket_results
from requirements_analysis.models import MoSCoW
from solutions.models import Coverage, CoverageLevel, DesignStatus, SolutionDesign
from tests.factories import TicketFactory
from tests.requirements_analysis.factories import RequirementItemFactory
from tests.solutions.factories import SolutionOptionFactory
from toolkit import chapters
from toolkit.choices import ProblemType, SlaClock, SlaState, SlaTargetKind, Stage
from toolkit.models import Notification, StageChange, Ticket, TicketSla
from tracking.models import Task

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db


def sla(ticket, target, *, due, met=None, state=SlaState.OK):
    return TicketSla.objects.update_or_create(
        ticket=ticket,
        target=target,
        defaults={
            "started_at": due - timedelta(hours=1),
            "target_minutes": 60,
            "clock": SlaClock.ALWAYS,
            "due_at": due,
            "met_at": met,
            "state": state,
        },
    )[0]


def test_results_on_known_data(ticket, engineer):
    now = timezone.now()
    sla(ticket, SlaTargetKind.RESPONSE, due=now - timedelta(hours=5), met=now - timedelta(hours=6))
    sla(ticket, SlaTargetKind.RESOLUTION, due=now - timedelta(hours=2), met=now - timedelta(hours=1))
    # Reopened twice: Closed → Diagnosis, twice; a move into Closed is no reopening.
    for from_stage, to_stage in [
        (Stage.EVALUATION, Stage.CLOSED),
        (Stage.CLOSED, Stage.DIAGNOSIS),
        (Stage.DIAGNOSIS, Stage.CLOSED),
        (Stage.CLOSED, Stage.IMPLEMENTATION),
    ]:
        StageChange.objects.create(
            ticket=ticket, from_stage=from_stage, to_stage=to_stage, reason="x", changed_by=engineer
        )
    for hours in ("2.5", "4.0", "1.5"):
        Task.objects.create(
            ticket=ticket,
            name="修复",
            owner=engineer,
            planned_start=date(2026, 11, 1),
            planned_end=date(2026, 11, 2),
            hours_spent=Decimal(hours),
        )
    # Must ×2 and Should ×1 and Could ×1: the approved option covers one Must and the Should fully, the
    # other Must only partly; the Could (covered fully) does not count.
    must_full = RequirementItemFactory(ticket=ticket, moscow=MoSCoW.MUST)
    must_partial = RequirementItemFactory(ticket=ticket, moscow=MoSCoW.MUST)
    should_full = RequirementItemFactory(ticket=ticket, moscow=MoSCoW.SHOULD)
    could_full = RequirementItemFactory(ticket=ticket, moscow=MoSCoW.COULD)
    chosen = SolutionOptionFactory(ticket=ticket)
    other = SolutionOptionFactory(ticket=ticket)
    for requirement, level in [
        (must_full, CoverageLevel.FULL),
        (must_partial, CoverageLevel.PARTIAL),
        (should_full, CoverageLevel.FULL),
        (could_full, CoverageLevel.FULL),
    ]:
        Coverage.objects.create(option=chosen, requirement=requirement, level=level)
        Coverage.objects.create(option=other, requirement=requirement, level=CoverageLevel.FULL)
    SolutionDesign.objects.create(ticket=ticket, status=DesignStatus.APPROVED, chosen_option=chosen)
    services.verification_record(ticket=ticket, by=engineer, method=VerificationMethod.CUSTOMER)
    for _ in range(2):
        Recurrence.objects.create(
            original=ticket,
            new_ticket=TicketFactory(customer=ticket.customer, owner=engineer),
            detected_by=engineer,
        )
    new = services.survey_create(ticket=ticket, by=engineer, delivery="shown")
    services.survey_submit(token=new.token, answers={k: int(v) for k, v in ANSWERS.items() if k != "comment"})

    results = ticket_results(ticket)
    assert results.response_met is True
    assert results.resolution_met is False
    assert results.reopen_count == 2
    assert results.hours == Decimal("8.0")
    assert (results.requirements_delivered, results.requirements_total) == (2, 3)
    assert results.requirements_label == "2/3"
    assert results.recurrence_count == 2
    assert results.scores == {
        "response_speed": 5,
        "effectiveness": 4,
        "attitude": 5,
        "communication": 3,
        "overall": 4,
    }
    assert results.satisfied is True


def test_results_without_data(ticket):
    results = ticket_results(ticket)
    assert results.response_met is None
    assert results.resolution_met is None
    assert results.reopen_count == 0
    assert results.hours == Decimal(0)
    assert results.requirements_label == ""
    assert results.recurrence_count == 0
    assert results.scores is None


def test_breached_and_not_met_counts_as_missed_and_unapproved_design_delivers_nothing(ticket):
    now = timezone.now()
    sla(ticket, SlaTargetKind.RESOLUTION, due=now - timedelta(hours=1), state=SlaState.BREACHED)
    item = RequirementItemFactory(ticket=ticket, moscow=MoSCoW.MUST)
    option = SolutionOptionFactory(ticket=ticket)
    Coverage.objects.create(option=option, requirement=item, level=CoverageLevel.FULL)
    SolutionDesign.objects.create(ticket=ticket, status=DesignStatus.SUBMITTED, chosen_option=option)
    results = ticket_results(ticket)
    assert results.resolution_met is False
    assert (results.requirements_delivered, results.requirements_total) == (0, 1)


def test_verification_moves_the_ticket_to_evaluation_and_records_who_when_how(ticket, engineer):
    when = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    services.verification_record(
        ticket=ticket,
        by=engineer,
        method=VerificationMethod.REMOTE_TEST,
        verified_at=when,
        note="远程登录测试通过",
    )
    ticket.refresh_from_db()
    assert ticket.stage == Stage.EVALUATION
    change = StageChange.objects.get(ticket=ticket)
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        Stage.IMPLEMENTATION,
        Stage.EVALUATION,
        engineer,
    )
    verification = Verification.objects.get()
    assert (verification.verified_by, verification.verified_at, verification.method) == (
        engineer,
        when,
        VerificationMethod.REMOTE_TEST,
    )
    # Correcting it does not move the stage again.
    services.verification_record(ticket=ticket, by=engineer, method=VerificationMethod.ON_SITE)
    assert StageChange.objects.filter(ticket=ticket).count() == 1
    assert Verification.objects.get().method == VerificationMethod.ON_SITE


def test_verification_in_the_future_is_refused(ticket, engineer):
    with pytest.raises(ValidationError):
        services.verification_record(
            ticket=ticket, by=engineer, method="customer", verified_at=timezone.now() + timedelta(hours=1)
        )


def test_close_needs_a_verification(ticket, engineer):
    with pytest.raises(ValidationError):
        services.ticket_close(ticket=ticket, by=engineer)
    services.verification_record(ticket=ticket, by=engineer, method="customer")
    services.ticket_close(ticket=ticket, by=engineer)
    ticket.refresh_from_db()
    assert ticket.stage == Stage.CLOSED


# ---------------------------------------------------------------- recurrences


@pytest.fixture
def verified(ticket, engineer):
    services.verification_record(
        ticket=ticket, by=engineer, method="customer", verified_at=timezone.now() - timedelta(days=20)
    )
    return ticket


def test_recurrence_candidates_and_linking(verified, engineer, customer):
    base = verified.verification.verified_at
    inside = TicketFactory(customer=customer, owner=engineer, recorded_at=base + timedelta(days=5))
    also_inside = TicketFactory(customer=customer, owner=engineer, recorded_at=base + timedelta(days=10))
    TicketFactory(customer=customer, owner=engineer, recorded_at=base - timedelta(days=1))  # before
    TicketFactory(customer=customer, owner=engineer, recorded_at=base + timedelta(days=31))  # too late
    TicketFactory(owner=engineer, recorded_at=base + timedelta(days=2))  # another customer
    TicketFactory(
        customer=customer,
        owner=engineer,
        recorded_at=base + timedelta(days=2),
        problem_type=ProblemType.PERFORMANCE,
    )
    assert list(recurrence_candidates(verified, reference_time=base)) == [inside, also_inside]

    link = services.recurrence_link(original=verified, new_ticket=inside, by=engineer)
    assert (link.original, link.new_ticket, link.detected_by) == (verified, inside, engineer)
    assert list(recurrence_candidates(verified, reference_time=base)) == [also_inside]
    with pytest.raises(ValidationError):
        services.recurrence_link(original=verified, new_ticket=inside, by=engineer)  # twice
    assert ticket_results(verified).recurrence_count == 1


def test_recurrence_rules(verified, engineer, customer):
    base = verified.verification.verified_at
    with pytest.raises(ValidationError):
        services.recurrence_link(original=verified, new_ticket=verified, by=engineer)
    with pytest.raises(ValidationError):
        services.recurrence_link(
            original=verified, new_ticket=TicketFactory(recorded_at=base + timedelta(days=1)), by=engineer
        )
    with pytest.raises(ValidationError):
        services.recurrence_link(
            original=verified,
            new_ticket=TicketFactory(customer=customer, recorded_at=base + timedelta(days=31)),
            by=engineer,
        )
    assert not Recurrence.objects.exists()


def test_recurrence_needs_verification_or_closing(ticket, engineer, customer):
    other = TicketFactory(customer=customer)
    with pytest.raises(ValidationError):
        services.recurrence_link(original=ticket, new_ticket=other, by=engineer)
    assert list(recurrence_candidates(ticket, reference_time=None)) == []


# ---------------------------------------------------------------- follow-ups


def test_follow_up_defaults_to_seven_days_after_verification(verified, engineer):
    follow_up = services.follow_up_schedule(ticket=verified, by=engineer)
    assert follow_up.due_at == verified.verification.verified_at + timedelta(days=7)
    assert follow_up.assignee == verified.owner


def test_follow_up_scan_reminds_once(ticket, engineer, manager, settings):
    settings.LANGUAGE_CODE = "en"
    now = timezone.now()
    due = services.follow_up_schedule(ticket=ticket, by=engineer, due_at=now - timedelta(minutes=1))
    services.follow_up_schedule(ticket=ticket, by=engineer, due_at=now + timedelta(days=1))  # not yet
    done = services.follow_up_schedule(
        ticket=ticket, by=engineer, assignee=manager, due_at=now - timedelta(days=1)
    )
    services.follow_up_done(follow_up=done, by=engineer, outcome="客户反馈正常")

    assert follow_up_scan(now=now) == 1
    assert follow_up_scan(now=now) == 0
    assert follow_up_scan(now=now + timedelta(minutes=1)) == 0
    notification = Notification.objects.get()
    assert (notification.user, notification.ticket, notification.level) == (
        engineer,
        ticket,
        SlaState.AT_RISK,
    )
    assert ticket.number in notification.message
    assert "Follow-up visit" in notification.message
    due.refresh_from_db()
    assert due.reminded_at == now


def test_follow_up_scan_claims_with_a_conditional_update(ticket, engineer):
    """A second scan that read the same row before the first claimed it records nothing."""
    now = timezone.now()
    services.follow_up_schedule(ticket=ticket, by=engineer, due_at=now - timedelta(minutes=1))
    FollowUp.objects.update(reminded_at=now)  # claimed by another scan in between
    assert follow_up_scan(now=now) == 0
    assert not Notification.objects.exists()


def test_rescheduling_a_reminded_follow_up_reminds_again(ticket, engineer):
    now = timezone.now()
    follow_up = services.follow_up_schedule(ticket=ticket, by=engineer, due_at=now - timedelta(minutes=1))
    assert follow_up_scan(now=now) == 1
    follow_up.refresh_from_db()
    services.follow_up_update(
        follow_up=follow_up, by=engineer, due_at=now + timedelta(hours=1), assignee=engineer
    )
    assert follow_up_scan(now=now + timedelta(hours=2)) == 1


def test_follow_up_scan_runs_from_the_periodic_task(ticket, engineer):
    from toolkit.tasks import run_periodic_scans

    services.follow_up_schedule(ticket=ticket, by=engineer, due_at=timezone.now() - timedelta(minutes=1))
    assert run_periodic_scans()["evaluation.reminders.follow_up_scan"] == 1


# ---------------------------------------------------------------- survey email and panel


def test_survey_sent_by_email_in_chinese(ticket, engineer):
    new = services.survey_create(ticket=ticket, by=engineer, delivery="email")
    message = mail.outbox[0]
    assert message.to == ["wang@tsa.example.com"]
    assert new.url in message.body
    assert "/survey/" in new.url
    assert ticket.number not in message.body
    new.survey.refresh_from_db()
    assert new.survey.sent_to == "wang@tsa.example.com"


def test_survey_email_needs_an_email_address(ticket, engineer):
    ticket.contact_details = "13856785678"
    ticket.save()
    with pytest.raises(ValidationError):
        services.survey_create(ticket=ticket, by=engineer, delivery="email")
    assert not mail.outbox
    assert not Survey.objects.exists()


def test_a_failed_email_saves_no_link(ticket, engineer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    pending = services.survey_create(ticket=ticket, by=engineer, delivery="shown")
    with pytest.raises(ValidationError) as caught:
        services.survey_create(ticket=ticket, by=engineer, delivery="email", replace_reason="客户要邮件")
    assert caught.value.code == "mail_failed"
    assert Survey.objects.count() == 1
    assert Survey.objects.get().is_usable()  # the pending link was not voided either
    assert services.survey_find_usable(pending.token) is not None


def _as_the_page_loads_it(ticket):
    """The ticket with the chapters' one-to-one relations joined, as the ticket page reads it."""
    return chapters.relations_loaded(
        Ticket.objects.select_related(*chapters.ticket_relations()).get(pk=ticket.pk)
    )


def test_panel_in_one_query_on_the_ticket_page(verified, engineer, django_assert_num_queries):
    services.follow_up_schedule(ticket=verified, by=engineer)
    services.action_create(ticket=verified, by=engineer, description="增加验证码服务监控", owner=engineer)
    ticket = _as_the_page_loads_it(verified)
    with django_assert_num_queries(1):
        panel = evaluation_panel(ticket)
        assert panel.verification.verified_by.display_name
    assert panel.open_action_count == 1
    assert panel.next_follow_up_at is not None


def test_panel_of_a_ticket_loaded_without_its_verification_reads_it(verified, django_assert_num_queries):
    ticket, unverified = Ticket.objects.get(pk=verified.pk), Ticket.objects.get(pk=TicketFactory().pk)
    with django_assert_num_queries(2):  # the card's rows, then who verified it
        panel = evaluation_panel(ticket)
        assert panel.verification.verified_by.display_name
    with django_assert_num_queries(1):
        assert evaluation_panel(unverified).verification is None


def test_panel_shows_the_results_figures_the_latest_answer_and_what_is_still_to_do(ticket, engineer):
    now = timezone.now()
    sla(ticket, SlaTargetKind.RESPONSE, due=now - timedelta(hours=5), met=now - timedelta(hours=6))
    sla(ticket, SlaTargetKind.RESOLUTION, due=now - timedelta(hours=1), state=SlaState.BREACHED)
    for from_stage, to_stage in [(Stage.CLOSED, Stage.DIAGNOSIS), (Stage.DIAGNOSIS, Stage.CLOSED)]:
        StageChange.objects.create(
            ticket=ticket, from_stage=from_stage, to_stage=to_stage, reason="x", changed_by=engineer
        )
    Recurrence.objects.create(
        original=ticket, new_ticket=TicketFactory(customer=ticket.customer), detected_by=engineer
    )
    for overall, comment, age in [(2, "太慢", 3), (5, "很好", 1), (1, "最早", 9)]:
        survey = Survey.objects.create(ticket=ticket, token_hash=f"{overall:064d}", created_by=engineer)
        SurveyResponse.objects.create(
            survey=survey,
            ticket=ticket,
            submitted_at=now - timedelta(days=age),
            comment=comment,
            overall=overall,
            **dict.fromkeys(("response_speed", "effectiveness", "attitude", "communication"), 3),
        )
    soonest = now + timedelta(days=2)
    for due_at, done_at in [(now + timedelta(days=5), None), (soonest, None), (now, now)]:
        FollowUp.objects.create(
            ticket=ticket, due_at=due_at, done_at=done_at, assignee=engineer, created_by=engineer
        )
    for status in (ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.OPEN):
        services.action_create(ticket=ticket, by=engineer, description="监控", owner=engineer, status=status)

    results = ticket_results(ticket)
    for loaded in (_as_the_page_loads_it(ticket), Ticket.objects.get(pk=ticket.pk)):
        panel = evaluation_panel(loaded)
        assert (panel.response_met, panel.resolution_met) == (True, False)
        assert (panel.response_met, panel.resolution_met) == (results.response_met, results.resolution_met)
        assert panel.reopen_count == results.reopen_count == 1
        assert panel.recurrence_count == results.recurrence_count == 1
        assert (panel.overall, panel.comment) == (results.scores["overall"], results.comment) == (5, "很好")
        assert panel.next_follow_up_at == soonest
        assert panel.open_action_count == 2
        assert panel.verification is None
