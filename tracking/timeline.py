"""Geometry of the Gantt-style timeline (plan vs actual), drawn as inline SVG by
``tracking/_timeline.html``: no JavaScript, prints as it shows.

Per task row: the planned bar (light) with the share done filled in, the actual bar below it (from the
actual start to the actual end, or to today while open), and for a milestone a diamond on its day
(filled once reached). A vertical line marks today. One day is ``day_width`` pixels; each day a task
covers is a whole column (inclusive dates), so a one-day milestone sits in the middle of its column.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

LABEL_WIDTH = 200
ROW_HEIGHT = 30
HEADER_HEIGHT = 28
CHART_WIDTH = 760  # pixels for the days; the day width adapts within the bounds below
MIN_DAY_WIDTH = 6
MAX_DAY_WIDTH = 80
LABEL_CHARS = 14


@dataclass
class Bar:
    x: float
    width: float


@dataclass
class Row:
    task: object
    y: int
    label: str
    planned: Bar
    done: Bar | None
    actual: Bar | None
    diamond_x: float | None  # milestones only: the planned day
    reached_x: float | None  # milestones only: the day it was reached
    variance: int
    late: bool


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    width: int
    height: int
    chart_left: int
    chart_bottom: int
    today_x: float | None
    rows: list[Row] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)


def _label(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def build_timeline(plan) -> Timeline | None:
    """The drawing of a ``selectors.Plan``; None for an empty plan."""
    if not plan.rows:
        return None
    today = plan.today
    firsts = [row.task.planned_start for row in plan.rows] + [
        row.task.actual_start for row in plan.rows if row.task.actual_start
    ]
    lasts = [row.task.planned_end for row in plan.rows] + [
        row.task.actual_end for row in plan.rows if row.task.actual_end
    ]
    first = min(firsts)
    last = max([*lasts, min(today, max(lasts) + timedelta(days=30))])
    days = (last - first).days + 1
    day_width = max(MIN_DAY_WIDTH, min(MAX_DAY_WIDTH, CHART_WIDTH / days))
    chart_width = day_width * days

    def x_of(day: date) -> float:
        return round(LABEL_WIDTH + (day - first).days * day_width, 1)

    def bar(start: date, end: date) -> Bar:
        return Bar(x=x_of(start), width=round(((end - start).days + 1) * day_width, 1))

    rows = []
    for index, task_row in enumerate(plan.rows):
        task = task_row.task
        y = HEADER_HEIGHT + index * ROW_HEIGHT
        planned = bar(task.planned_start, task.planned_end)
        done = None
        if task.progress and not task.is_milestone:
            done = Bar(x=planned.x, width=round(planned.width * task.progress / 100, 1))
        actual = None
        if task.actual_start and not task.is_milestone:
            end = task.actual_end or max(task.actual_start, min(today, last))
            actual = bar(task.actual_start, end)
        diamond = reached = None
        if task.is_milestone:
            diamond = round(x_of(task.planned_end) + day_width / 2, 1)
            if task.is_done and task.actual_end:
                reached = round(x_of(task.actual_end) + day_width / 2, 1)
        rows.append(
            Row(
                task=task,
                y=y,
                label=_label(task.name),
                planned=planned,
                done=done,
                actual=actual,
                diamond_x=diamond,
                reached_x=reached,
                variance=task_row.variance,
                late=task_row.variance > 0,
            )
        )

    step = 1 if day_width >= 28 else 7 if day_width >= 6 else 14
    ticks, day = [], first
    if step > 1:
        day = first + timedelta(days=(7 - first.weekday()) % 7)  # Mondays
    while day <= last:
        ticks.append(Tick(x=x_of(day), label=day.strftime("%m-%d")))
        day += timedelta(days=step)
    chart_bottom = HEADER_HEIGHT + len(rows) * ROW_HEIGHT
    today_x = round(x_of(today) + day_width / 2, 1) if first <= today <= last else None
    return Timeline(
        width=int(LABEL_WIDTH + chart_width + 10),
        height=chart_bottom + 14,
        chart_left=LABEL_WIDTH,
        chart_bottom=chart_bottom,
        today_x=today_x,
        rows=rows,
        ticks=ticks,
    )
