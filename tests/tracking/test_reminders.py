"""Overdue reminders: once per task per local day, never for done tasks, safe under concurrent scans."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from toolkit.choices import SlaState
from toolkit.models import Notification
from toolkit.tasks import run_periodic_scans
from tracking.models import Task, TaskKind, TaskStatus
from tracking.reminders import overdue_tasks_scan

from .factories import TaskFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour=10, minute=0):
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def overdue(ticket):
    # Planned to end 9 June; on 11 June it is two days overdue.
    return TaskFactory(ticket=ticket, owner=ticket.owner, name="升级验证码服务", planned_end=date(2026, 6, 9))


def test_overdue_task_reminds_its_owner_once_a_day(overdue):
    assert overdue_tasks_scan(now=at(11)) == 1
    note = Notification.objects.get()
    assert (note.user, note.ticket, note.level) == (overdue.owner, overdue.ticket, SlaState.AT_RISK)
    assert (
        note.message
        == f"{overdue.ticket.number} 的任务“升级验证码服务”已逾期 2 天(计划完成日期 2026-06-09)。"
    )
    assert overdue_tasks_scan(now=at(11, 10, 1)) == 0
    assert overdue_tasks_scan(now=at(11, 23, 59)) == 0
    assert Notification.objects.count() == 1


def test_again_the_next_local_day(overdue):
    overdue_tasks_scan(now=at(11, 23, 59))
    # 16:00 UTC on 11 June is already 12 June in Shanghai.
    assert overdue_tasks_scan(now=datetime(2026, 6, 11, 16, 0, tzinfo=ZoneInfo("UTC"))) == 1
    assert Notification.objects.count() == 2
    assert Task.objects.get().overdue_reminded_on == date(2026, 6, 12)


def test_local_date_decides_what_is_overdue(overdue):
    # 15:59 UTC on 9 June is 23:59 on 9 June in Shanghai: the planned end day, not overdue yet.
    assert overdue_tasks_scan(now=datetime(2026, 6, 9, 15, 59, tzinfo=ZoneInfo("UTC"))) == 0
    assert overdue_tasks_scan(now=datetime(2026, 6, 9, 16, 0, tzinfo=ZoneInfo("UTC"))) == 1


def test_not_for_done_tasks_or_tickets_past_implementation(ticket, overdue):
    TaskFactory(ticket=ticket, planned_end=date(2026, 6, 1), status=TaskStatus.DONE, progress=100)
    TaskFactory(ticket__stage="evaluation", planned_end=date(2026, 6, 1))
    TaskFactory(ticket=ticket, planned_end=date(2026, 6, 11))  # due today: not overdue
    assert overdue_tasks_scan(now=at(11)) == 1
    assert Notification.objects.get().ticket == ticket


def test_breached_for_a_missed_milestone_or_three_days_late(ticket):
    TaskFactory(
        ticket=ticket, kind=TaskKind.MILESTONE, planned_start=date(2026, 6, 10), planned_end=date(2026, 6, 10)
    )
    TaskFactory(ticket=ticket, planned_end=date(2026, 6, 8))
    assert overdue_tasks_scan(now=at(11)) == 2
    assert set(Notification.objects.values_list("level", flat=True)) == {SlaState.BREACHED}


def test_message_in_the_site_language(overdue, settings):
    settings.LANGUAGE_CODE = "en"
    overdue_tasks_scan(now=at(10))
    assert Notification.objects.get().message == (
        f"Task “升级验证码服务” of {overdue.ticket.number} is 1 day overdue (planned end 2026-06-09)."
    )


def test_constant_number_of_queries(ticket):
    TaskFactory(ticket=ticket, planned_end=date(2026, 6, 1))
    with CaptureQueriesContext(connection) as one:
        assert overdue_tasks_scan(now=at(11)) == 1
    TaskFactory.create_batch(10, ticket=ticket, planned_end=date(2026, 6, 1))
    with CaptureQueriesContext(connection) as eleven:
        assert overdue_tasks_scan(now=at(12)) == 11
    assert len(one) == len(eleven)


def test_a_row_claimed_by_another_scan_is_not_reminded_twice(ticket, overdue, monkeypatch):
    """Two scans read the same candidates; the second's conditional UPDATE finds them already claimed.

    Simulated by letting another scan claim (and commit) between this scan's read and its claim.
    """
    other = TaskFactory(ticket=ticket, planned_end=date(2026, 6, 1))
    from tracking import reminders

    real_claim = reminders._claim

    def concurrent_claim_first(ids, *, today, token):
        # Just before this scan's UPDATE, the other scan claims (and commits) the first task.
        Task.objects.filter(pk=overdue.pk).update(overdue_reminded_on=today)
        return real_claim(ids, today=today, token=token)

    monkeypatch.setattr(reminders, "_claim", concurrent_claim_first)
    assert overdue_tasks_scan(now=at(11)) == 1
    assert list(Notification.objects.values_list("user", flat=True)) == [other.owner_id]


def test_runs_from_the_periodic_task(overdue):
    assert run_periodic_scans(now=at(11))["tracking.reminders.overdue_tasks_scan"] == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_record_each_reminder_once(ticket):
    """Two threads scanning at once on PostgreSQL. (The SQLite test database is in memory with a shared
    cache, which refuses a second writer outright; the simulated race above covers the claim there.)"""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent transactions need PostgreSQL")
    import threading

    from django.db import connections

    TaskFactory.create_batch(5, ticket=ticket, planned_end=date(2026, 6, 1))
    results, errors = [], []
    barrier = threading.Barrier(2)

    def scan():
        try:
            barrier.wait()
            results.append(overdue_tasks_scan(now=at(11)))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 5]
    assert Notification.objects.count() == 5
