"""The SLA engine: due times on each policy's clock, pauses, first response, and the scan's reminders.

Times are Asia/Shanghai. 2025-06-09..20 are two ordinary Mon–Fri weeks; National Day 2025 is off
Oct 1–8 with a make-up working Saturday on Oct 11 (调休). The clock is moved with time-machine, so the
engine runs exactly as it does in production (services → engine → scan).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import Verification
from tests.factories import ContactFactory, UserFactory
from toolkit import services, sla
from toolkit.choices import Priority, ProblemType, SlaClock, SlaState, SlaTargetKind, Source, Stage
from toolkit.models import Reminder, SlaPolicy, Ticket, TicketSla

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESPONSE, RESOLUTION = SlaTargetKind.RESPONSE, SlaTargetKind.RESOLUTION

pytestmark = pytest.mark.django_db


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


@pytest.fixture
def owner():
    return UserFactory(username="li", role="engineer", manager=UserFactory(username="boss", role="manager"))


def log_ticket(owner, when, priority=Priority.P1) -> Ticket:
    with time_machine.travel(when, tick=False):
        contact = ContactFactory()
        return services.ticket_create(
            recorded_by=owner,
            owner=owner,
            customer=contact.customer,
            contact=contact,
            source=Source.PHONE,
            occurred_at=when,
            description="系统无法登录,提示验证码错误",
            problem_type=ProblemType.FUNCTIONAL,
            priority=priority,
            suggested_priority=priority,
        )


def target(ticket, kind) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket, target=kind)


def move(ticket, stage, when, by):
    """A deliberate move (going back confirmed); closing after the resolution is verified (issue 14 §6)."""
    with time_machine.travel(when, tick=False):
        if stage == Stage.CLOSED:
            Verification.objects.get_or_create(
                ticket=ticket, defaults={"verified_by": by, "method": "customer"}
            )
        services.ticket_change_stage(ticket=ticket, to_stage=stage, reason="测试", by=by, back=True)
    ticket.refresh_from_db()


def scan(when) -> list[tuple[str, str, int, int]]:
    """One scan at `when`: the reminders it recorded as (ticket, target, threshold, repeat)."""
    ids = sla.sla_scan(now=when)
    rows = Reminder.objects.filter(pk__in=ids).order_by("pk")
    return [
        (r.ticket_sla.ticket.number, r.ticket_sla.target, r.threshold, r.repeat)
        for r in rows.select_related("ticket_sla__ticket")
    ]


# ---------------------------------------------------------------- due times


def test_p0_runs_around_the_clock_from_when_the_ticket_is_logged(owner):
    ticket = log_ticket(owner, at(2025, 6, 13, 17, 0), Priority.P0)  # a Friday evening
    response, resolution = target(ticket, RESPONSE), target(ticket, RESOLUTION)
    assert (response.clock, response.target_minutes) == (SlaClock.ALWAYS, 15)
    assert response.warn50_at == at(2025, 6, 13, 17, 7, 30)
    assert response.warn80_at == at(2025, 6, 13, 17, 12)
    assert response.due_at == at(2025, 6, 13, 17, 15)
    assert resolution.due_at == at(2025, 6, 13, 21, 0)
    assert (ticket.sla_state, ticket.sla_due_at) == (SlaState.OK, at(2025, 6, 13, 17, 15))
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.sla_state, stored.sla_due_at) == (SlaState.OK, at(2025, 6, 13, 17, 15))


def test_p2_business_hours_skip_the_weekend(owner):
    ticket = log_ticket(owner, at(2025, 6, 13, 16, 0), Priority.P2)  # Friday 16:00
    # 4 h: 2 h on Friday, 2 h from Monday 09:00.
    assert target(ticket, RESPONSE).due_at == at(2025, 6, 16, 11, 0)
    # 3 working days (27 h): Fri 2 h + Mon 9 h + Tue 9 h + Wed 7 h.
    assert target(ticket, RESOLUTION).due_at == at(2025, 6, 18, 16, 0)


def test_p3_one_business_day_ends_at_the_same_time_next_working_day(owner):
    ticket = log_ticket(owner, at(2025, 6, 13, 10, 0), Priority.P3)
    assert target(ticket, RESPONSE).due_at == at(2025, 6, 16, 10, 0)
    # 10 working days of 9 h from Friday 10:00: Friday 27 June 10:00.
    assert target(ticket, RESOLUTION).due_at == at(2025, 6, 27, 10, 0)


def test_a_ticket_logged_at_night_starts_counting_at_nine(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 22, 30), Priority.P2)
    assert target(ticket, RESPONSE).warn50_at == at(2025, 6, 11, 11, 0)
    assert target(ticket, RESPONSE).due_at == at(2025, 6, 11, 13, 0)


def test_national_day_holiday_is_skipped(owner):
    ticket = log_ticket(owner, at(2025, 9, 30, 16, 0), Priority.P2)
    # 2 h on 30 September, Oct 1–8 off, 2 h on Thursday 9 October.
    assert target(ticket, RESPONSE).due_at == at(2025, 10, 9, 11, 0)


def test_a_make_up_working_saturday_counts(owner):
    ticket = log_ticket(owner, at(2025, 10, 10, 17, 0), Priority.P2)
    # 1 h on Friday, then Saturday 11 October is a 调休 working day.
    assert target(ticket, RESPONSE).due_at == at(2025, 10, 11, 12, 0)


def test_an_admins_policy_change_applies_to_new_tickets(owner):
    SlaPolicy.objects.filter(priority=Priority.P1).update(first_response_minutes=30)
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P1)
    assert target(ticket, RESPONSE).due_at == at(2025, 6, 10, 10, 30)


def test_a_priority_without_a_policy_has_no_targets(owner):
    SlaPolicy.objects.filter(priority=Priority.P3).delete()
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P3)
    assert not TicketSla.objects.filter(ticket=ticket).exists()
    assert (ticket.sla_state, ticket.sla_due_at) == ("", None)


# ---------------------------------------------------------------- first response, hold, close


def test_the_first_action_meets_the_response_target(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P1)
    with time_machine.travel(at(2025, 6, 10, 10, 20), tick=False):
        services.ticket_add_clarification(ticket=ticket, text="客户补充:仅安卓端", by=owner)
    response = target(ticket, RESPONSE)
    assert response.met_at == at(2025, 6, 10, 10, 20)
    assert (response.state, response.next_check_at) == (SlaState.OK, None)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == at(2025, 6, 10, 18, 0)  # now the resolution target
    # A later action does not move it.
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 12, 0), owner)
    assert target(ticket, RESPONSE).met_at == at(2025, 6, 10, 10, 20)


def test_a_late_first_response_is_a_breach_that_stays_on_the_ticket(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P1)
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 11, 30), owner)
    assert target(ticket, RESPONSE).state == SlaState.BREACHED
    assert ticket.sla_state == SlaState.BREACHED
    assert ticket.sla_due_at == at(2025, 6, 10, 18, 0)


def test_on_hold_pauses_the_clock_and_moves_the_due_time(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P1)  # resolution due 18:00
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 10, 10), owner)
    move(ticket, Stage.ON_HOLD, at(2025, 6, 10, 11, 0), owner)
    resolution = target(ticket, RESOLUTION)
    assert resolution.paused_since == at(2025, 6, 10, 11, 0)
    assert resolution.next_check_at is None
    assert ticket.sla_due_at is None  # nothing runs while waiting for the customer
    assert scan(at(2025, 6, 10, 19, 0)) == []  # past the old due time: no breach while paused

    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 13, 0), owner)
    resolution = target(ticket, RESOLUTION)
    assert resolution.paused_since is None
    assert resolution.due_at == at(2025, 6, 10, 20, 0)  # two hours on hold added
    assert resolution.warn50_at == at(2025, 6, 10, 16, 0)
    assert ticket.sla_due_at == at(2025, 6, 10, 20, 0)


def test_a_pause_on_business_hours_counts_only_working_time(owner):
    ticket = log_ticket(owner, at(2025, 6, 13, 16, 0), Priority.P2)  # response due Mon 11:00
    move(ticket, Stage.ON_HOLD, at(2025, 6, 13, 17, 0), owner)  # paused Friday 17:00
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 16, 10, 0), owner)  # resumed Monday 10:00
    # 2 working hours paused (Fri 17–18, Mon 9–10); the response (met on the first move) is not moved.
    assert target(ticket, RESPONSE).met_at == at(2025, 6, 13, 17, 0)
    assert target(ticket, RESOLUTION).due_at == at(2025, 6, 18, 18, 0)


def test_closing_meets_the_resolution_and_stops_the_scan(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P1)
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 10, 10), owner)
    move(ticket, Stage.CLOSED, at(2025, 6, 10, 15, 0), owner)
    resolution = target(ticket, RESOLUTION)
    assert resolution.met_at == at(2025, 6, 10, 15, 0)
    assert (resolution.state, resolution.next_check_at) == (SlaState.OK, None)
    assert (ticket.sla_state, ticket.sla_due_at) == (SlaState.OK, None)
    assert scan(at(2025, 6, 11, 12, 0)) == []


def test_reopening_runs_the_resolution_clock_again_without_the_closed_time(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P1)
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 10, 10), owner)
    move(ticket, Stage.CLOSED, at(2025, 6, 10, 12, 0), owner)  # 2 h used of 8
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 11, 9, 0), owner)  # reopened: 6 h left
    resolution = target(ticket, RESOLUTION)
    assert resolution.met_at is None
    assert resolution.due_at == at(2025, 6, 11, 15, 0)
    assert ticket.sla_due_at == at(2025, 6, 11, 15, 0)
    assert target(ticket, RESPONSE).met_at == at(2025, 6, 10, 10, 10)


def test_cancelling_stops_both_targets(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P0)
    move(ticket, Stage.CANCELLED, at(2025, 6, 10, 10, 5), owner)
    assert list(TicketSla.objects.filter(ticket=ticket).values_list("next_check_at", flat=True)) == [
        None,
        None,
    ]
    assert ticket.sla_due_at is None
    assert scan(at(2025, 6, 10, 20, 0)) == []


def test_raising_the_priority_recomputes_from_the_start_without_pauses(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P2)
    move(ticket, Stage.ON_HOLD, at(2025, 6, 10, 11, 0), owner)
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 13, 0), owner)
    with time_machine.travel(at(2025, 6, 10, 14, 0), tick=False):
        services.ticket_update(
            ticket=ticket, by=owner, priority=Priority.P0, priority_override_reason="全员停工"
        )
    resolution = target(ticket, RESOLUTION)
    assert (resolution.clock, resolution.target_minutes) == (SlaClock.ALWAYS, 240)
    assert resolution.due_at == at(2025, 6, 10, 16, 0)  # 10:00 + 4 h + 2 h on hold
    ticket.refresh_from_db()
    assert ticket.sla_due_at == at(2025, 6, 10, 16, 0)


def test_lowering_the_priority_can_end_a_breach(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P0)
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 10, 5), owner)
    assert scan(at(2025, 6, 10, 14, 10))[-1][1:] == (RESOLUTION, 100, 0)
    with time_machine.travel(at(2025, 6, 10, 14, 40), tick=False):
        services.ticket_update(
            ticket=ticket, by=owner, priority=Priority.P2, priority_override_reason="已有绕行方案"
        )
    resolution = target(ticket, RESOLUTION)
    # 4 h 40 min used of 3 business days (27 h): on track again, due Friday 10:00.
    assert resolution.state == SlaState.OK
    assert resolution.due_at == at(2025, 6, 13, 10, 0)
    assert Ticket.objects.get(pk=ticket.pk).sla_state == SlaState.OK


# ---------------------------------------------------------------- the scan


def test_each_threshold_fires_once_and_a_breach_repeats_while_it_lasts(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P0)
    number = ticket.number
    assert scan(at(2025, 6, 10, 10, 5)) == []
    assert scan(at(2025, 6, 10, 10, 8)) == [(number, RESPONSE, 50, 0)]
    assert scan(at(2025, 6, 10, 10, 8)) == []
    assert scan(at(2025, 6, 10, 10, 9)) == []
    assert scan(at(2025, 6, 10, 10, 12)) == [(number, RESPONSE, 80, 0)]
    assert scan(at(2025, 6, 10, 10, 15)) == [(number, RESPONSE, 100, 0)]
    assert scan(at(2025, 6, 10, 10, 16)) == []
    assert scan(at(2025, 6, 10, 10, 45)) == [(number, RESPONSE, 100, 1)]  # P0 repeats every 30 min
    assert scan(at(2025, 6, 10, 11, 0)) == []
    assert scan(at(2025, 6, 10, 11, 15)) == [(number, RESPONSE, 100, 2)]
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    assert Reminder.objects.count() == 5


def test_the_scan_sets_at_risk_then_breached_on_the_ticket(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P0)
    scan(at(2025, 6, 10, 10, 8))
    assert Ticket.objects.get(pk=ticket.pk).sla_state == SlaState.AT_RISK
    scan(at(2025, 6, 10, 10, 15))
    assert Ticket.objects.get(pk=ticket.pk).sla_state == SlaState.BREACHED


def test_a_scan_that_was_down_sends_only_the_latest_reminder(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P0)
    # First scan at 11:20: 50%, 80%, breach and two repeats have passed; one reminder says it all.
    assert scan(at(2025, 6, 10, 11, 20)) == [(ticket.number, RESPONSE, 100, 2)]
    assert target(ticket, RESPONSE).next_check_at == at(2025, 6, 10, 11, 45)


def test_business_hours_breaches_repeat_on_business_time(owner):
    ticket = log_ticket(owner, at(2025, 6, 13, 16, 0), Priority.P2)  # response due Mon 11:00
    assert scan(at(2025, 6, 16, 11, 0))[-1][1:] == (RESPONSE, 100, 0)
    # P2 repeats every 240 business minutes: Monday 15:00, then Tuesday 10:00 (not at night).
    assert target(ticket, RESPONSE).next_check_at == at(2025, 6, 16, 15, 0)
    assert scan(at(2025, 6, 16, 15, 0))[-1][1:] == (RESPONSE, 100, 1)
    assert target(ticket, RESPONSE).next_check_at == at(2025, 6, 17, 10, 0)


def test_a_met_response_sends_no_more_reminders(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P0)
    assert scan(at(2025, 6, 10, 10, 8)) == [(ticket.number, RESPONSE, 50, 0)]
    move(ticket, Stage.DIAGNOSIS, at(2025, 6, 10, 10, 10), owner)
    assert scan(at(2025, 6, 10, 10, 30)) == []
    # Only the resolution target goes on: 50% of 4 h at 12:00.
    assert scan(at(2025, 6, 10, 12, 0)) == [(ticket.number, RESOLUTION, 50, 0)]


def test_a_reminder_recorded_by_another_scan_is_not_recorded_again(owner):
    ticket = log_ticket(owner, at(2025, 6, 10, 10, 0), Priority.P0)
    response = target(ticket, RESPONSE)
    Reminder.objects.create(ticket_sla=response, threshold=50, repeat=0)  # the other scan was first
    assert scan(at(2025, 6, 10, 10, 8)) == []
    assert Reminder.objects.filter(ticket_sla=response).count() == 1
    assert target(ticket, RESPONSE).next_check_at == at(2025, 6, 10, 10, 12)


def test_the_scan_reads_only_due_targets_in_a_fixed_number_of_queries(owner):
    due = [log_ticket(owner, at(2025, 6, 10, 10, minute), Priority.P0) for minute in range(3)]
    later = log_ticket(owner, at(2025, 6, 10, 11, 0), Priority.P0)

    def queries_for_one_scan(when):
        # The webhook endpoints are remembered in the cache for a minute: clear it so that every scan
        # asks once (otherwise the count depends on whether an earlier test left them there).
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            recorded = sla.sla_scan(now=when)
        return len(context), recorded

    few_queries, recorded = queries_for_one_scan(at(2025, 6, 10, 10, 10))
    assert len(recorded) == 3
    assert target(later, RESPONSE).state == SlaState.OK
    more = [log_ticket(owner, at(2025, 6, 10, 10, 20), Priority.P0) for _ in range(20)]
    many_queries, recorded = queries_for_one_scan(at(2025, 6, 10, 10, 28))
    assert len(recorded) == len(due) + len(more)  # the first three breached, 50% of the twenty
    assert many_queries == few_queries <= 11
    nothing_queries, recorded = queries_for_one_scan(at(2025, 6, 10, 10, 28))
    assert recorded == [] and nothing_queries <= 3


def test_the_scan_takes_a_batch_at_a_time_oldest_first(owner):
    tickets = [log_ticket(owner, at(2025, 6, 10, 10, minute), Priority.P0) for minute in range(5)]
    now = at(2025, 6, 10, 10, 20)
    first = sla.sla_scan(now=now, batch_size=2)
    second = sla.sla_scan(now=now, batch_size=2)
    third = sla.sla_scan(now=now, batch_size=2)
    assert (len(first), len(second), len(third)) == (2, 2, 1)
    assert Reminder.objects.get(pk=first[0]).ticket_sla.ticket == tickets[0]
    assert sla.sla_scan(now=now, batch_size=2) == []


def test_bulk_start_for_demo_data_matches_one_by_one(owner):
    ticket = log_ticket(owner, at(2025, 6, 13, 16, 0), Priority.P2)
    expected = list(TicketSla.objects.filter(ticket=ticket).values_list("target", "due_at", "warn80_at"))
    TicketSla.objects.filter(ticket=ticket).delete()
    with time_machine.travel(at(2025, 6, 13, 16, 0), tick=False):
        sla.sla_start_many([ticket])
    assert (
        list(TicketSla.objects.filter(ticket=ticket).values_list("target", "due_at", "warn80_at")) == expected
    )
