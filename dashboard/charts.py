"""The dashboard's charts, built from the counts its selectors return (toolkit.charts draws them).

Every cell that counts tickets links to the ticket table filtered to exactly those tickets, with the
table's own query-string filters (SPEC "Public contracts").
"""

from datetime import date, timedelta

from django.utils.translation import gettext as _

from toolkit.charts import Category, Cell, Chart
from toolkit.choices import Priority, ProblemType, SlaState, Stage
from toolkit.periods import months_between, next_month, table_url

OPEN = "open"  # the table's stage=open (every open stage)
NARROW = 380  # drawing width of the charts in the page's one-third columns
TOP_OWNERS = 15
PRIORITY_COLOURS = {
    Priority.P0: "#B02A37",
    Priority.P1: "#E69F00",
    Priority.P2: "#0072B2",
    Priority.P3: "#6C757D",
}


def open_url(**params) -> str:
    return table_url(stage=OPEN, **params)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _month_filters(month: date, start: date, end: date) -> dict:
    first = max(month, start)
    last = min(next_month(month) - timedelta(days=1), end)
    return {"occurred_after": f"{first:%Y-%m-%d}", "occurred_before": f"{last:%Y-%m-%d}"}


def _open_count_chart(*, field: str, choices, counts: dict, slug: str, title, description) -> Chart:
    """One bar per choice of `field`, each count linking to the open tickets of that choice."""
    categories = [
        Category(
            label=str(choice.label),
            url=open_url(**{field: choice.value}),
            cells=(Cell(counts.get(choice.value, 0), url=open_url(**{field: choice.value})),),
        )
        for choice in choices
    ]
    return Chart(
        slug=slug,
        width=NARROW,
        title=title,
        description=description,
        kind="bar",
        series=[_("Open tickets")],
        categories=categories,
    )


def open_by_priority_chart(by_priority: dict) -> Chart:
    return _open_count_chart(
        field="priority",
        choices=Priority,
        counts=by_priority,
        slug="open-priority",
        title=_("Open tickets by priority"),
        description=_("Number of open tickets per priority."),
    )


def open_by_type_chart(by_type: dict) -> Chart:
    return _open_count_chart(
        field="problem_type",
        choices=ProblemType,
        counts=by_type,
        slug="open-type",
        title=_("Open tickets by type"),
        description=_("Number of open tickets per problem type."),
    )


def workload_chart(by_owner: dict) -> Chart:
    """by_owner: owner id → {"label", "priorities": {priority: count}, "total"}; the busiest first."""
    owners = sorted(by_owner.items(), key=lambda item: (-item[1]["total"], item[1]["label"]))[:TOP_OWNERS]
    categories = [
        Category(
            label=owner["label"],
            url=open_url(owner=owner_id),
            cells=(
                *(
                    Cell(owner["priorities"].get(p.value, 0), url=open_url(owner=owner_id, priority=p.value))
                    for p in Priority
                ),
                Cell(owner["total"], url=open_url(owner=owner_id)),
            ),
        )
        for owner_id, owner in owners
    ]
    return Chart(
        slug="workload",
        title=_("Workload by owner"),
        description=_("Open tickets per owner, split by priority."),
        kind="stacked",
        series=[p.value for p in Priority],
        colours=[PRIORITY_COLOURS[p] for p in Priority],
        categories=categories,
        extra_columns=[_("Total")],
    )


def breach_trend_chart(counts: dict, *, start: date, end: date) -> Chart:
    categories = []
    for month in months_between(start, end):
        breached, total = counts[month]["breached"], counts[month]["total"]
        filters = _month_filters(month, start, end)
        rate = _percent(breached, total)
        categories.append(
            Category(
                label=f"{month:%Y-%m}",
                url=table_url(**filters),
                cells=(
                    Cell(rate, _percent_text(rate), table_url(sla=SlaState.BREACHED.value, **filters)),
                    Cell(breached, url=table_url(sla=SlaState.BREACHED.value, **filters)),
                    Cell(total, url=table_url(**filters)),
                ),
            )
        )
    return Chart(
        slug="breach-trend",
        title=_("SLA breach rate by month"),
        description=_("Share of the tickets that occurred in each month whose SLA is breached."),
        kind="line",
        series=[_("Breach rate")],
        categories=categories,
        unit="%",
        value_max=100,
        extra_columns=[_("Breached"), _("Tickets")],
    )


def csat_trend_chart(rows) -> Chart:
    """rows: evaluation's CSAT rows by month (label, url, csat rate, average overall score)."""
    categories = [
        Category(
            label=row.label,
            url=row.url,
            cells=(
                Cell(row.csat.percent, _percent_text(row.csat.percent), row.url if row.csat.whole else ""),
                # No link: the table has no "answered a survey" filter, so it could not list exactly these.
                Cell(row.csat.whole),
                Cell(row.average_overall),
            ),
        )
        for row in rows
    ]
    return Chart(
        slug="csat-trend",
        title=_("CSAT by month"),
        description=_("Share of survey responses with overall satisfaction 4 or 5, by month of the problem."),
        kind="line",
        series=[_("CSAT")],
        categories=categories,
        unit="%",
        value_max=100,
        extra_columns=[_("Survey responses"), _("Average overall score")],
    )


def top_types_chart(by_type: dict, *, since: date, days: int) -> Chart:
    after = f"{since:%Y-%m-%d}"
    order = ProblemType.values
    ordered = sorted(
        by_type.items(), key=lambda item: (-item[1], order.index(item[0]) if item[0] in order else 99)
    )
    labels = dict(ProblemType.choices)
    categories = [
        Category(
            label=str(labels.get(kind, kind)),
            url=table_url(problem_type=kind, occurred_after=after),
            cells=(Cell(count, url=table_url(problem_type=kind, occurred_after=after)),),
        )
        for kind, count in ordered
    ]
    return Chart(
        slug="top-types",
        width=NARROW,
        title=_("Top problem types, last %(days)d days") % {"days": days},
        description=_("Tickets per problem type that occurred in the period."),
        kind="bar",
        series=[_("Tickets")],
        categories=categories,
    )


def top_customers_chart(top: list[tuple[int, str, int]], *, since: date, days: int) -> Chart:
    """top: (customer id, name, tickets), the busiest first."""
    after = f"{since:%Y-%m-%d}"
    categories = [
        Category(
            label=name,
            url=table_url(customer=customer_id, occurred_after=after),
            cells=(Cell(count, url=table_url(customer=customer_id, occurred_after=after)),),
        )
        for customer_id, name, count in top
    ]
    return Chart(
        slug="top-customers",
        title=_("Top customers, last %(days)d days") % {"days": days},
        description=_("The customers with the most tickets that occurred in the period."),
        kind="bar",
        series=[_("Tickets")],
        categories=categories,
    )


def knowledge_chart(counts: dict, knowledge: dict, *, start: date, end: date) -> Chart:
    categories = []
    for month in months_between(start, end):
        entry = {"closed": counts[month]["closed"], **knowledge[month]}
        share = _percent(entry["with_article"], entry["closed"])
        closed_url = table_url(stage=Stage.CLOSED.value, **_month_filters(month, start, end))
        categories.append(
            Category(
                label=f"{month:%Y-%m}",
                cells=(
                    Cell(share, _percent_text(share)),
                    Cell(entry["with_article"]),
                    Cell(entry["closed"], url=closed_url),
                    Cell(entry["links"]),
                ),
            )
        )
    return Chart(
        slug="knowledge-reuse",
        title=_("Knowledge reuse by month"),
        description=_("Share of the closed tickets that were resolved with a knowledge article."),
        kind="line",
        series=[_("Resolved with an article")],
        categories=categories,
        unit="%",
        value_max=100,
        extra_columns=[_("With an article"), _("Closed tickets"), _("Articles linked")],
    )
