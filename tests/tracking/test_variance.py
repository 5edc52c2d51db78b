"""The variance arithmetic (tracking.variance): + days behind, − days ahead, 0 on plan."""

from datetime import date

import pytest

from tracking.services import lay_end_to_end
from tracking.variance import TaskDates, plan_variance, span_days, task_variance

JUNE_1, JUNE_10 = date(2026, 6, 1), date(2026, 6, 10)


def june(day):
    return date(2026, 6, day)


def variance(*, today, progress=0, done=False, actual_end=None, start=JUNE_1, end=JUNE_10):
    return task_variance(
        planned_start=start, planned_end=end, actual_end=actual_end, progress=progress, done=done, today=today
    )


def test_span_is_inclusive():
    assert span_days(JUNE_1, JUNE_10) == 10
    assert span_days(JUNE_1, JUNE_1) == 1


@pytest.mark.parametrize(
    ("actual_end", "expected"),
    [(june(12), 2), (june(8), -2), (JUNE_10, 0), (None, 0)],
)
def test_done_task_compares_actual_end_with_planned_end(actual_end, expected):
    # Whatever today is: a done task's variance is settled.
    assert variance(today=june(30), progress=100, done=True, actual_end=actual_end) == expected


@pytest.mark.parametrize("progress", [0, 50, 99])
def test_open_task_past_its_end_is_behind_by_the_days_since(progress):
    assert variance(today=june(13), progress=progress) == 3


@pytest.mark.parametrize(
    ("today", "progress", "expected"),
    [
        (june(1), 0, 0),  # first day: nothing expected yet
        (june(6), 50, 0),  # 5 of 10 days gone, half done
        (june(6), 30, 2),  # 5 expected − 3 done
        (june(6), 80, -3),  # 5 expected − 8 done
        (june(6), 25, 3),  # 2.5 rounds away from zero
        (june(6), 75, -3),  # −2.5 rounds away from zero
        (JUNE_10, 0, 9),  # last day, nothing done
        (JUNE_10, 90, 0),
    ],
)
def test_open_task_within_its_span_compares_progress_with_elapsed_share(today, progress, expected):
    assert variance(today=today, progress=progress) == expected


def test_task_not_yet_started_is_on_plan_or_ahead():
    assert variance(today=date(2026, 5, 20)) == 0
    assert variance(today=date(2026, 5, 20), progress=20) == -2


def test_milestone_is_one_day():
    assert variance(today=JUNE_10, start=JUNE_10, end=JUNE_10) == 0
    assert variance(today=june(11), start=JUNE_10, end=JUNE_10) == 1
    assert (
        variance(today=june(12), start=JUNE_10, end=JUNE_10, done=True, actual_end=june(11), progress=100)
        == 1
    )


def task(key, start, end, *, progress=0, done=False, actual_start=None, actual_end=None, predecessor=None):
    return TaskDates(
        key=key,
        planned_start=start,
        planned_end=end,
        actual_start=actual_start,
        actual_end=actual_end,
        progress=progress,
        done=done,
        predecessor=predecessor,
    )


def test_empty_plan():
    result = plan_variance([], today=JUNE_1)
    assert (result.planned_end, result.forecast_end, result.variance_days, result.progress) == (
        None,
        None,
        0,
        0,
    )


def test_plan_on_track():
    result = plan_variance(
        [task("a", june(1), june(5), progress=100, done=True, actual_start=june(1), actual_end=june(5)),
         task("b", june(6), june(10), progress=40, actual_start=june(6), predecessor="a")],
        today=june(8),
    )  # fmt: skip
    assert result.task_variances == {"a": 0, "b": 0}
    assert (result.planned_start, result.planned_end, result.forecast_end) == (june(1), june(10), june(10))
    assert result.variance_days == 0
    assert result.progress == 70  # (100 × 5 + 40 × 5) / 10


def test_plan_finished_early_is_ahead():
    result = plan_variance(
        [task("a", june(1), june(5), progress=100, done=True, actual_start=june(1), actual_end=june(4)),
         task("b", june(5), june(10), progress=100, done=True, actual_start=june(4), actual_end=june(8))],
        today=june(20),
    )  # fmt: skip
    assert result.task_variances == {"a": -1, "b": -2}
    assert (result.forecast_end, result.variance_days, result.progress) == (june(8), -2, 100)


def test_late_predecessor_pushes_a_successor_not_yet_started():
    # A: 10 days, nothing done on day 9 → 8 days behind, forecast 18 June.
    # B starts 11 June: pushed by 18 − 11 = 7 days → 22 June, 7 days after the planned end (15 June).
    result = plan_variance(
        [task("a", june(1), june(10), actual_start=june(1)), task("b", june(11), june(15), predecessor="a")],
        today=june(9),
    )
    assert result.task_variances == {"a": 8, "b": 0}
    assert result.forecast_ends == {"a": june(18), "b": june(22)}
    assert (result.planned_end, result.forecast_end, result.variance_days) == (june(15), june(22), 7)


def test_push_runs_down_a_chain():
    result = plan_variance(
        [
            task("a", june(1), june(10), actual_start=june(1)),
            task("b", june(11), june(15), predecessor="a"),
            task("c", june(16), june(16), predecessor="b"),
        ],
        today=june(9),
    )
    # b forecast 22 June pushes c (planned 16 June) by 6 days.
    assert result.forecast_ends["c"] == june(22)
    assert result.variance_days == 6


def test_a_started_successor_is_not_pushed():
    result = plan_variance(
        [
            task("a", june(1), june(10), actual_start=june(1)),
            task("b", june(11), june(15), actual_start=june(9), progress=10, predecessor="a"),
        ],
        today=june(9),
    )
    assert result.forecast_ends["b"] == june(15)


def test_overdue_open_task_is_forecast_today_at_the_earliest():
    result = plan_variance([task("a", june(1), june(5), progress=60, actual_start=june(1))], today=june(9))
    assert (result.task_variances["a"], result.forecast_end, result.variance_days) == (4, june(9), 4)


def test_a_cycle_in_the_data_does_not_loop():
    result = plan_variance(
        [task("a", june(1), june(5), predecessor="b"), task("b", june(6), june(10), predecessor="a")],
        today=june(1),
    )
    assert set(result.forecast_ends) == {"a", "b"}  # it returned: each task was forecast once


@pytest.mark.parametrize(
    ("count", "days", "offsets"),
    [
        (3, 10, [(0, 2), (3, 5), (6, 9)]),
        (1, 1, [(0, 0)]),
        (2, 5, [(0, 1), (2, 4)]),
        (3, 2, [(0, 0), (0, 0), (1, 1)]),
    ],
)
def test_lay_end_to_end(count, days, offsets):
    spans = lay_end_to_end(count=count, duration_days=days, start=JUNE_1)
    assert [((s - JUNE_1).days, (e - JUNE_1).days) for s, e in spans] == offsets
    for (_, previous_end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= previous_end  # each follows its predecessor
