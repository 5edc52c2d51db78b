"""Days ahead of or behind plan, per task and for the whole plan. Pure arithmetic on dates: no queries.

Sign convention: a positive number of days is *behind* plan (late), a negative one *ahead*, 0 on plan.

Per task (``task_variance``), ``today`` being the team's local date:

- done: ``actual_end − planned_end``;
- open and past its planned end: ``today − planned_end``;
- open otherwise: the work expected by now against the work done, in days of the planned span
  (inclusive, so a one-day milestone has a span of 1):

      expected_days = clamp(today − planned_start, 0, span)      (days of the span already gone)
      done_days     = progress / 100 × span
      variance      = round(expected_days − done_days)           (halves away from zero)

  On a task's first day nothing is expected yet; a task not started whose start has not come is on
  plan (0), or ahead if work was already logged.

The whole plan (``plan_variance``): each task gets a forecast end — done: its actual end; open: its
planned end moved by its own delay (never before today), and moved further when its predecessor's
forecast end pushes past its planned start while it has not started. The plan's forecast end is the
latest of those; its variance is ``forecast end − planned end`` (latest planned end).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

PROGRESS_MAX = 100


def _round_days(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def span_days(planned_start: date, planned_end: date) -> int:
    """Inclusive number of planned days: 1 June–3 June is 3."""
    return (planned_end - planned_start).days + 1


def task_variance(
    *,
    planned_start: date,
    planned_end: date,
    actual_end: date | None,
    progress: int,
    done: bool,
    today: date,
) -> int:
    """Days behind (+) or ahead (−) of plan for one task; see the module docstring."""
    if done:
        return (actual_end - planned_end).days if actual_end else 0
    if today > planned_end:
        return (today - planned_end).days
    span = span_days(planned_start, planned_end)
    expected = min(max((today - planned_start).days, 0), span)
    done_days = Decimal(progress) * span / PROGRESS_MAX
    return _round_days(Decimal(expected) - done_days)


def task_forecast_end(*, planned_end: date, variance: int, done: bool, actual_end: date | None, today):
    """Where one task will end on its own: the actual end, or the planned end moved by the delay."""
    if done:
        return actual_end or planned_end
    return max(planned_end + timedelta(days=max(variance, 0)), today)


@dataclass(frozen=True)
class TaskDates:
    """What the plan arithmetic needs of one task (built from a Task by ``dates_of``)."""

    key: object
    planned_start: date
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    progress: int
    done: bool
    predecessor: object = None


@dataclass(frozen=True)
class PlanVariance:
    planned_start: date | None
    planned_end: date | None
    forecast_end: date | None
    variance_days: int  # forecast end − planned end: + behind, − ahead
    progress: int  # whole plan, weighted by each task's planned days
    task_variances: dict  # key → days
    forecast_ends: dict  # key → date


def dates_of(task) -> TaskDates:
    return TaskDates(
        key=task.pk,
        planned_start=task.planned_start,
        planned_end=task.planned_end,
        actual_start=task.actual_start,
        actual_end=task.actual_end,
        progress=task.progress,
        done=task.is_done,
        predecessor=task.predecessor_id,
    )


def plan_variance(tasks: list[TaskDates], *, today: date) -> PlanVariance:
    """Variance of every task and of the whole plan (see the module docstring)."""
    if not tasks:
        return PlanVariance(None, None, None, 0, 0, {}, {})
    by_key = {task.key: task for task in tasks}
    variances = {
        task.key: task_variance(
            planned_start=task.planned_start,
            planned_end=task.planned_end,
            actual_end=task.actual_end,
            progress=task.progress,
            done=task.done,
            today=today,
        )
        for task in tasks
    }
    forecasts: dict = {}

    def forecast(task: TaskDates, seen: frozenset) -> date:
        if task.key in forecasts:
            return forecasts[task.key]
        end = task_forecast_end(
            planned_end=task.planned_end,
            variance=variances[task.key],
            done=task.done,
            actual_end=task.actual_end,
            today=today,
        )
        predecessor = by_key.get(task.predecessor)
        # A cycle cannot be saved (services), but the arithmetic must not loop if one ever were.
        if (
            predecessor is not None
            and predecessor.key not in seen
            and not task.done
            and not task.actual_start
        ):
            pushed = forecast(predecessor, seen | {task.key}) - task.planned_start
            if pushed.days > 0:
                end = max(end, task.planned_end + pushed)
        forecasts[task.key] = end
        return end

    for task in tasks:
        forecast(task, frozenset({task.key}))
    planned_end = max(task.planned_end for task in tasks)
    forecast_end = max(forecasts.values())
    weights = [span_days(task.planned_start, task.planned_end) for task in tasks]
    progress = _round_days(
        Decimal(sum(task.progress * weight for task, weight in zip(tasks, weights, strict=True)))
        / sum(weights)
    )
    return PlanVariance(
        planned_start=min(task.planned_start for task in tasks),
        planned_end=planned_end,
        forecast_end=forecast_end,
        variance_days=(forecast_end - planned_end).days,
        progress=progress,
        task_variances=variances,
        forecast_ends=forecasts,
    )
