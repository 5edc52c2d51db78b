"""Writes of chapter 4: validation saves nothing, cycles are refused, the plan comes from the approved
solution, progress entries move the task along, the ticket moves to Evaluation when all is done."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import TicketFactory
from toolkit.choices import Stage
from toolkit.models import StageChange
from tracking import services
from tracking.models import ProgressEntry, Task, TaskKind, TaskStatus

from .conftest import approve
from .factories import TaskFactory

pytestmark = pytest.mark.django_db


def june(day):
    return date(2026, 6, day)


def create(ticket, by, **fields):
    values = {"name": "部署", "owner": ticket.owner, "planned_start": june(1), "planned_end": june(5)}
    values.update(fields)
    return services.task_create(ticket=ticket, by=by, today=june(1), **values)


# Validation ----------------------------------------------------------------------------------------


def test_create_appends_with_position_and_history(ticket, engineer):
    first = create(ticket, engineer)
    second = create(ticket, engineer, name="验证")
    assert (first.position, second.position) == (1, 2)
    assert first.history.first().history_user == engineer


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"planned_start": june(5), "planned_end": june(1)}, "planned_end"),
        ({"actual_start": june(3), "actual_end": june(2)}, "actual_end"),
        ({"actual_end": june(2)}, "actual_start"),
        ({"progress": 101}, "progress"),
        ({"hours_spent": Decimal("-1")}, "hours_spent"),
        ({"actual_start": date(2999, 1, 1)}, "actual_start"),
    ],
)
def test_invalid_task_is_refused_and_nothing_saved(ticket, engineer, fields, field):
    with pytest.raises(ValidationError) as error:
        create(ticket, engineer, **fields)
    assert field in error.value.message_dict
    assert Task.objects.count() == 0


def test_milestone_is_a_single_day(ticket, engineer):
    milestone = create(ticket, engineer, kind=TaskKind.MILESTONE, planned_start=june(1), planned_end=june(9))
    assert milestone.planned_start == milestone.planned_end == june(9)


def test_done_means_full_progress_and_an_actual_end(ticket, engineer):
    task = create(ticket, engineer, status=TaskStatus.DONE)
    assert (task.progress, task.actual_start, task.actual_end) == (100, june(1), june(1))
    other = create(ticket, engineer, progress=100, actual_start=june(1), actual_end=june(3))
    assert (other.status, other.actual_end) == (TaskStatus.DONE, june(3))


def test_progress_marks_a_not_started_task_in_progress(ticket, engineer):
    task = create(ticket, engineer, progress=30)
    assert (task.status, task.actual_start) == (TaskStatus.IN_PROGRESS, june(1))


def test_successor_cannot_start_before_the_predecessor_ends(ticket, engineer):
    first = create(ticket, engineer, planned_start=june(1), planned_end=june(5))
    with pytest.raises(ValidationError) as error:
        create(ticket, engineer, predecessor=first, planned_start=june(4), planned_end=june(8))
    assert "planned_start" in error.value.message_dict
    assert Task.objects.count() == 1
    allowed = create(
        ticket, engineer, predecessor=first, planned_start=june(4), planned_end=june(8), overlap_allowed=True
    )
    same_day = create(ticket, engineer, predecessor=first, planned_start=june(5), planned_end=june(8))
    assert allowed.pk and same_day.pk


def test_predecessor_must_be_of_the_same_ticket(ticket, engineer):
    elsewhere = TaskFactory(ticket=TicketFactory(owner=engineer), planned_end=june(1))
    with pytest.raises(ValidationError) as error:
        create(ticket, engineer, predecessor=elsewhere)
    assert "predecessor" in error.value.message_dict


# Cycles --------------------------------------------------------------------------------------------


def chain(ticket, engineer, count):
    tasks, previous = [], None
    for index in range(count):
        previous = create(
            ticket,
            engineer,
            name=f"步骤{index}",
            predecessor=previous,
            planned_start=june(1),
            planned_end=june(1),
            overlap_allowed=True,
        )
        tasks.append(previous)
    return tasks


def test_a_task_cannot_be_its_own_predecessor(ticket, engineer):
    (task,) = chain(ticket, engineer, 1)
    with pytest.raises(ValidationError) as error:
        services.task_update(task=task, by=engineer, predecessor=task)
    assert error.value.message_dict["predecessor"] == ["任务不能是自己的前置任务。"]
    task.refresh_from_db()
    assert task.predecessor_id is None


def test_two_task_cycle_is_refused(ticket, engineer):
    a, b = chain(ticket, engineer, 2)  # b follows a
    with pytest.raises(ValidationError) as error:
        services.task_update(task=a, by=engineer, predecessor=b)
    assert "predecessor" in error.value.message_dict
    assert b.name in error.value.message_dict["predecessor"][0]
    a.refresh_from_db()
    assert a.predecessor_id is None
    assert a.history.count() == 1  # nothing saved, no history row


@pytest.mark.parametrize("length", [3, 6])
def test_longer_cycles_are_refused(ticket, engineer, length):
    tasks = chain(ticket, engineer, length)
    with pytest.raises(ValidationError):
        services.task_update(task=tasks[0], by=engineer, predecessor=tasks[-1])
    # Any middle link back into the chain is refused too.
    with pytest.raises(ValidationError):
        services.task_update(task=tasks[1], by=engineer, predecessor=tasks[-1])
    assert Task.objects.get(pk=tasks[0].pk).predecessor_id is None


def test_relinking_without_a_cycle_is_fine(ticket, engineer):
    a, b, c = chain(ticket, engineer, 3)
    services.task_update(task=c, by=engineer, predecessor=a)
    assert Task.objects.get(pk=c.pk).predecessor_id == a.pk


def test_deleting_a_task_frees_its_successor(ticket, engineer):
    a, b = chain(ticket, engineer, 2)
    services.task_delete(task=a, by=engineer)
    assert Task.objects.get(pk=b.pk).predecessor_id is None


# Progress log -------------------------------------------------------------------------------------


def test_first_entry_sets_actual_start_and_progress(ticket, engineer):
    task = create(ticket, engineer, planned_start=june(1), planned_end=june(5))
    today = timezone.localdate()
    entry = services.progress_log(
        task=task, by=engineer, date=today, progress=40, note="完成一半", hours=Decimal("3.5")
    )
    task.refresh_from_db()
    assert (task.progress, task.status, task.actual_start, task.actual_end) == (
        40,
        TaskStatus.DELAYED,
        today,
        None,
    )
    assert task.hours_spent == Decimal("3.5")
    assert entry.by == engineer


def test_entries_add_hours_and_full_progress_marks_done(ticket, engineer):
    today = timezone.localdate()
    task = create(ticket, engineer, planned_start=today, planned_end=today + timedelta(days=5))
    services.progress_log(task=task, by=engineer, date=today, progress=50, hours=Decimal(2))
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    services.progress_log(task=task, by=engineer, date=today, progress=60, blockers="等待客户提供账号")
    task.refresh_from_db()
    assert task.status == TaskStatus.BLOCKED
    services.progress_log(task=task, by=engineer, date=today, progress=100, hours=Decimal("1.5"))
    task.refresh_from_db()
    assert (task.status, task.actual_start, task.actual_end, task.hours_spent) == (
        TaskStatus.DONE,
        today,
        today,
        Decimal("3.5"),
    )
    assert task.history.count() == 4  # created + three updates


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"progress": 120}, "progress"),
        ({"progress": 10, "hours": Decimal(-1)}, "hours"),
        ({"progress": 10, "date": "future"}, "date"),
    ],
)
def test_invalid_entry_saves_nothing(ticket, engineer, kwargs, field):
    task = create(ticket, engineer)
    kwargs = {"date": timezone.localdate(), **kwargs}
    if kwargs["date"] == "future":
        kwargs["date"] = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.progress_log(task=task, by=engineer, **kwargs)
    assert field in error.value.message_dict
    assert ProgressEntry.objects.count() == 0
    task.refresh_from_db()
    assert task.progress == 0


def test_entry_before_the_actual_start_is_refused(ticket, engineer):
    today = timezone.localdate()
    task = create(ticket, engineer, actual_start=today, progress=10)
    with pytest.raises(ValidationError):
        services.progress_log(task=task, by=engineer, date=today - timedelta(days=1), progress=20)


# Generation ---------------------------------------------------------------------------------------


def test_plan_generated_from_the_approved_option(approved_ticket, engineer):
    today = timezone.localdate()
    tasks = services.plan_generate(ticket=approved_ticket, by=engineer)
    assert [t.name for t in tasks] == ["准备测试环境", "升级验证码服务", "上线并验证", "客户验收"]
    assert [(t.planned_start - today).days for t in tasks] == [0, 3, 6, 8]
    assert [(t.planned_end - today).days for t in tasks] == [2, 5, 8, 8]
    assert [t.kind for t in tasks] == [TaskKind.TASK] * 3 + [TaskKind.MILESTONE]
    assert all(t.owner_id == approved_ticket.owner_id for t in tasks)
    assert [t.predecessor_id for t in tasks] == [None, tasks[0].pk, tasks[1].pk, tasks[2].pk]
    assert [t.position for t in tasks] == [1, 2, 3, 4]


def test_generation_strips_list_markers_and_blank_lines(engineer, manager):
    ticket = TicketFactory(owner=engineer, stage="design")
    approve(
        ticket,
        engineer=engineer,
        manager=manager,
        approach="1. 备份数据\n\n2、升级服务\n- 回归测试\n  ",
        days=2,
    )
    tasks = services.plan_generate(ticket=ticket, by=engineer)
    assert [t.name for t in tasks] == ["备份数据", "升级服务", "回归测试", "客户验收"]
    assert tasks[-1].planned_end == timezone.localdate() + timedelta(days=1)  # two days in all


def test_generation_needs_an_approved_solution(ticket, engineer):
    with pytest.raises(ValidationError):
        services.plan_generate(ticket=ticket, by=engineer)
    assert Task.objects.count() == 0


def test_generation_only_once(approved_ticket, engineer):
    services.plan_generate(ticket=approved_ticket, by=engineer)
    with pytest.raises(ValidationError):
        services.plan_generate(ticket=approved_ticket, by=engineer)
    assert Task.objects.count() == 4
    assert not services.can_generate(approved_ticket)


def test_milestone_name_in_the_site_language(approved_ticket, engineer, settings):
    settings.LANGUAGE_CODE = "en"
    tasks = services.plan_generate(ticket=approved_ticket, by=engineer)
    assert tasks[-1].name == "Customer acceptance"


# Completion ---------------------------------------------------------------------------------------


def test_ticket_moves_to_evaluation_when_all_tasks_are_done(ticket, engineer):
    create(ticket, engineer, status=TaskStatus.DONE)
    services.plan_complete(ticket=ticket, by=engineer)
    ticket.refresh_from_db()
    assert ticket.stage == Stage.EVALUATION
    change = StageChange.objects.get(ticket=ticket)
    assert (change.reason, change.changed_by) == ("实施完成", engineer)


def test_open_tasks_keep_the_ticket_in_implementation(ticket, engineer):
    create(ticket, engineer, status=TaskStatus.DONE)
    create(ticket, engineer, progress=50)
    with pytest.raises(ValidationError) as error:
        services.plan_complete(ticket=ticket, by=engineer)
    assert "1" in error.value.messages[0]
    ticket.refresh_from_db()
    assert ticket.stage == Stage.IMPLEMENTATION


def test_an_empty_plan_cannot_complete(ticket, engineer):
    with pytest.raises(ValidationError):
        services.plan_complete(ticket=ticket, by=engineer)
