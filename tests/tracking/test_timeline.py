"""Timeline geometry: one column per day, bars from the planned and actual dates, legible ticks."""

from datetime import date, timedelta

import pytest

from tracking.models import Task, TaskKind, TaskStatus
from tracking.selectors import plan_from
from tracking.timeline import LABEL_WIDTH, MAX_DAY_WIDTH, build_timeline


def task(pk, start, end, **fields):
    return Task(pk=pk, name=f"任务{pk}", planned_start=start, planned_end=end, **fields)


def test_empty_plan_draws_nothing():
    assert build_timeline(plan_from([], today=date(2026, 6, 1))) is None


def test_bars_in_day_columns():
    tasks = [
        task(1, date(2026, 6, 1), date(2026, 6, 3), actual_start=date(2026, 6, 1), progress=50,
             status=TaskStatus.IN_PROGRESS),
        task(2, date(2026, 6, 4), date(2026, 6, 4), kind=TaskKind.MILESTONE),
    ]  # fmt: skip
    drawing = build_timeline(plan_from(tasks, today=date(2026, 6, 2)))
    day = MAX_DAY_WIDTH  # 4 days fit at the widest
    first, milestone = drawing.rows
    assert (first.planned.x, first.planned.width) == (LABEL_WIDTH, 3 * day)
    assert first.done.width == pytest.approx(1.5 * day)
    assert (first.actual.x, first.actual.width) == (LABEL_WIDTH, 2 * day)  # open: up to today
    assert milestone.diamond_x == LABEL_WIDTH + 3.5 * day and milestone.reached_x is None
    assert drawing.today_x == LABEL_WIDTH + 1.5 * day
    assert [tick.label for tick in drawing.ticks] == ["06-01", "06-02", "06-03", "06-04"]


def test_long_plans_tick_on_mondays_and_truncate_labels():
    tasks = [task(1, date(2026, 6, 3), date(2026, 9, 30))]
    tasks[0].name = "一个名字非常非常长的实施任务需要截断"
    drawing = build_timeline(plan_from(tasks, today=date(2026, 6, 1)))
    assert all(date(2026, int(t.label[:2]), int(t.label[3:])).weekday() == 0 for t in drawing.ticks)
    assert drawing.rows[0].label.endswith("…") and len(drawing.rows[0].label) == 14
    assert drawing.today_x is None  # before the plan starts


def test_late_rows_are_marked():
    tasks = [task(1, date(2026, 6, 1), date(2026, 6, 3))]
    drawing = build_timeline(plan_from(tasks, today=date(2026, 6, 5) + timedelta(days=1)))
    assert drawing.rows[0].late and drawing.rows[0].variance == 3
