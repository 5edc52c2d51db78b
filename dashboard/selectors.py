"""What the managers' dashboard at ``/`` counts: open work, SLA risk, trends, workload, top problems,
knowledge reuse.

Every number is counted by the database in a handful of GROUP BY queries (their number does not grow
with the data). Open work is one grouped scan of the open tickets (priority × type × SLA state × owner)
folded into the four open-work pictures; the trends are one scan of the six-month window grouped by
month, the last 90 days one grouped by type × customer. Python only adds up those few hundred groups,
never tickets. Chapters add figures of their own (knowledge reuse) through the registry in
toolkit.chapters, so the dashboard reads none of their models.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from evaluation import aggregates
from toolkit import chapters
from toolkit.choices import SlaState, Stage
from toolkit.models import Customer, Ticket, User
from toolkit.periods import MonthBuckets, local_midnight, months_back

from . import charts

TREND_MONTHS = 6
TOP_DAYS = 90
TOP_CUSTOMERS = 10


@dataclass
class OpenWork:
    total: int = 0
    by_priority: dict = field(default_factory=dict)
    by_type: dict = field(default_factory=dict)
    by_sla: dict = field(default_factory=dict)
    # owner id → {"label": display name, "priorities": {priority: count}, "total": count}
    by_owner: dict = field(default_factory=dict)


def open_work() -> OpenWork:
    """Open tickets counted by priority, type, SLA state and owner: one grouped query."""
    rows = (
        Ticket.objects.open()
        .values(
            "priority",
            "problem_type",
            "sla_state",
            "owner_id",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
            "owner__job_title",
        )
        .annotate(count=Count("pk"))
        .order_by()
    )
    work = OpenWork()
    for row in rows:
        count = row["count"]
        work.total += count
        work.by_priority[row["priority"]] = work.by_priority.get(row["priority"], 0) + count
        work.by_type[row["problem_type"]] = work.by_type.get(row["problem_type"], 0) + count
        work.by_sla[row["sla_state"]] = work.by_sla.get(row["sla_state"], 0) + count
        owner = work.by_owner.get(row["owner_id"])
        if owner is None:
            name = User(
                username=row["owner__username"],
                first_name=row["owner__first_name"],
                last_name=row["owner__last_name"],
                job_title=row["owner__job_title"],
            ).display_name
            owner = work.by_owner[row["owner_id"]] = {"label": name, "priorities": {}, "total": 0}
        owner["priorities"][row["priority"]] = owner["priorities"].get(row["priority"], 0) + count
        owner["total"] += count
    return work


def month_counts(*, start: date, end: date) -> dict:
    """Tickets that occurred in each month from `start` to `end`: total, SLA breached, closed. One query.

    The month is a CASE over the months' local bounds (toolkit.periods.MonthBuckets): on PostgreSQL that
    costs a fraction of truncating every row's timestamp in the time zone (date_trunc … AT TIME ZONE
    doubled the query's time with 100,000 tickets), and grouping by it alone keeps the groups few
    enough to hash.
    """
    buckets = MonthBuckets("occurred_at", start, end)
    rows = (
        Ticket.objects.filter(
            occurred_at__gte=local_midnight(start), occurred_at__lt=local_midnight(end + timedelta(days=1))
        )
        .values(month=buckets.expression)
        .annotate(
            total=Count("pk"),
            breached=Count("pk", filter=Q(sla_state=SlaState.BREACHED)),
            closed=Count("pk", filter=Q(stage=Stage.CLOSED)),
        )
        .order_by()
    )
    counts = {month: {"total": 0, "breached": 0, "closed": 0} for month in buckets.months or []}
    for row in rows:
        counts[buckets.month(row["month"])] = {name: row[name] for name in ("total", "breached", "closed")}
    return counts


def recent_counts(*, since: date) -> tuple[dict, dict]:
    """Tickets that occurred since `since`, by type and by customer id. One query (type × customer)."""
    rows = (
        Ticket.objects.filter(occurred_at__gte=local_midnight(since))
        .values("problem_type", "customer_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    by_type: dict[str, int] = {}
    by_customer: dict[int, int] = {}
    for row in rows:
        by_type[row["problem_type"]] = by_type.get(row["problem_type"], 0) + row["count"]
        by_customer[row["customer_id"]] = by_customer.get(row["customer_id"], 0) + row["count"]
    return by_type, by_customer


def top_customers(by_customer: dict, *, limit: int = TOP_CUSTOMERS) -> list[tuple[int, str, int]]:
    """The busiest customers as (id, name, tickets); their names in one query (a handful of keys)."""
    top = sorted(by_customer.items(), key=lambda item: (-item[1], item[0]))[:limit]
    names = dict(Customer.objects.filter(pk__in=[pk for pk, _count in top]).values_list("pk", "name"))
    return [(pk, names.get(pk, str(pk)), count) for pk, count in top]


@dataclass
class Dashboard:
    open_total: int
    open_url: str
    at_risk: int
    at_risk_url: str
    breached: int
    breached_url: str
    charts: dict
    trend_start: date
    top_since: date


def dashboard_summary(*, today: date | None = None) -> Dashboard:
    """Everything the page shows: seven queries (five without the knowledge chapter), whatever the data."""
    today = today or timezone.localdate()
    start = months_back(today, TREND_MONTHS)
    since = today - timedelta(days=TOP_DAYS - 1)
    work = open_work()
    months = month_counts(start=start, end=today)
    by_type, by_customer = recent_counts(since=since)
    board = {
        "open_priority": charts.open_by_priority_chart(work.by_priority),
        "open_type": charts.open_by_type_chart(work.by_type),
        "workload": charts.workload_chart(work.by_owner),
        "breach_trend": charts.breach_trend_chart(months, start=start, end=today),
        "csat_trend": charts.csat_trend_chart(aggregates.csat_by_month(start=start, end=today)),
        "top_types": charts.top_types_chart(by_type, since=since, days=TOP_DAYS),
        "top_customers": charts.top_customers_chart(top_customers(by_customer), since=since, days=TOP_DAYS),
    }
    figures = chapters.dashboard_figures()
    if "knowledge_reuse" in figures:
        knowledge = figures["knowledge_reuse"](start=start, end=today)
        board["knowledge"] = charts.knowledge_chart(months, knowledge, start=start, end=today)
    return Dashboard(
        open_total=work.total,
        open_url=charts.open_url(),
        at_risk=work.by_sla.get(SlaState.AT_RISK, 0),
        at_risk_url=charts.open_url(sla=SlaState.AT_RISK.value),
        breached=work.by_sla.get(SlaState.BREACHED, 0),
        breached_url=charts.open_url(sla=SlaState.BREACHED.value),
        charts=board,
        trend_start=start,
        top_since=since,
    )
