"""The managers' dashboard at ``/``: open work, SLA risk, trends, workload, top problems, knowledge reuse.

Every number is counted by the database in a handful of GROUP BY queries (their number does not grow
with the data), and every number links to the diagnosis table filtered to the tickets it counts, with
the table's own query-string filters (SPEC "Public contracts").

Open work is one grouped scan of the open tickets (priority × type × SLA state × owner) folded into
the four open-work pictures; the trends are one scan of the six-month window grouped by month, the
last 90 days one grouped by type × customer. Python only adds up those few hundred groups, never
tickets. The knowledge chapter is read through the app registry, so the dashboard works
without its models.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from evaluation import aggregates
from evaluation.aggregates import (
    MonthBuckets,
    local_midnight,
    months_back,
    months_between,
    next_month,
    table_url,
)

from . import notifications
from .charts import Category, Cell, Chart
from .choices import Priority, ProblemType, SlaState, Stage
from .models import Customer, Ticket, User

OPEN = "open"  # the table's stage=open (every open stage)
TREND_MONTHS = 6
TOP_DAYS = 90
TOP_CUSTOMERS = 10
TOP_OWNERS = 15
NARROW = 380  # drawing width of the charts in the page's one-third columns
PRIORITY_COLOURS = {
    Priority.P0: "#B02A37",
    Priority.P1: "#E69F00",
    Priority.P2: "#0072B2",
    Priority.P3: "#6C757D",
}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _month_filters(month: date, start: date, end: date) -> dict:
    first = max(month, start)
    last = min(next_month(month) - timedelta(days=1), end)
    return {"occurred_after": f"{first:%Y-%m-%d}", "occurred_before": f"{last:%Y-%m-%d}"}


# ---------------------------------------------------------------- selectors


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


def _knowledge_link_model():
    try:
        return apps.get_model("knowledge", "ArticleLink")
    except LookupError:
        return None


def month_counts(*, start: date, end: date) -> dict:
    """Tickets that occurred in each month from `start` to `end`: total, SLA breached, closed. One query.

    The month is a CASE over the months' local bounds (aggregates.MonthBuckets): on PostgreSQL that
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
    counts = {month: {"total": 0, "breached": 0, "closed": 0} for month in buckets.months}
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
    by_type, by_customer = {}, {}
    for row in rows:
        by_type[row["problem_type"]] = by_type.get(row["problem_type"], 0) + row["count"]
        by_customer[row["customer_id"]] = by_customer.get(row["customer_id"], 0) + row["count"]
    return by_type, by_customer


def knowledge_counts(*, start: date, end: date) -> dict | None:
    """Per month: closed tickets (by the month the problem occurred) with a linked article, and article
    links made in the month. Two queries (a semi-join on the tickets, a range on the links' index);
    None without the knowledge app."""
    ArticleLink = _knowledge_link_model()
    if ArticleLink is None:
        return None
    begin, finish = local_midnight(start), local_midnight(end + timedelta(days=1))
    tickets = MonthBuckets("occurred_at", start, end)
    with_article = (
        Ticket.objects.filter(stage=Stage.CLOSED, occurred_at__gte=begin, occurred_at__lt=finish)
        .filter(Exists(ArticleLink.objects.filter(ticket=OuterRef("pk"))))
        .values(month=tickets.expression)
        .annotate(count=Count("pk"))
        .order_by()
    )
    links = MonthBuckets("linked_at", start, end)
    made = (
        ArticleLink.objects.filter(linked_at__gte=begin, linked_at__lt=finish)
        .values(month=links.expression)
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {month: {"links": 0, "with_article": 0} for month in tickets.months}
    for row in with_article:
        counts[tickets.month(row["month"])]["with_article"] = row["count"]
    for row in made:
        counts[links.month(row["month"])]["links"] = row["count"]
    return counts


# ---------------------------------------------------------------- charts


def _open_url(**params) -> str:
    return table_url(stage=OPEN, **params)


def open_by_priority_chart(work: OpenWork) -> Chart:
    categories = [
        Category(
            label=str(priority.label),
            url=_open_url(priority=priority.value),
            cells=(Cell(work.by_priority.get(priority.value, 0), url=_open_url(priority=priority.value)),),
        )
        for priority in Priority
    ]
    return Chart(
        slug="open-priority",
        width=NARROW,
        title=_("Open tickets by priority"),
        description=_("Number of open tickets per priority."),
        kind="bar",
        series=[_("Open tickets")],
        categories=categories,
    )


def open_by_type_chart(work: OpenWork) -> Chart:
    categories = [
        Category(
            label=str(kind.label),
            url=_open_url(problem_type=kind.value),
            cells=(Cell(work.by_type.get(kind.value, 0), url=_open_url(problem_type=kind.value)),),
        )
        for kind in ProblemType
    ]
    return Chart(
        slug="open-type",
        width=NARROW,
        title=_("Open tickets by type"),
        description=_("Number of open tickets per problem type."),
        kind="bar",
        series=[_("Open tickets")],
        categories=categories,
    )


def workload_chart(work: OpenWork) -> Chart:
    owners = sorted(work.by_owner.items(), key=lambda item: (-item[1]["total"], item[1]["label"]))[
        :TOP_OWNERS
    ]
    categories = [
        Category(
            label=owner["label"],
            url=_open_url(owner=owner_id),
            cells=(
                *(
                    Cell(owner["priorities"].get(p.value, 0), url=_open_url(owner=owner_id, priority=p.value))
                    for p in Priority
                ),
                Cell(owner["total"], url=_open_url(owner=owner_id)),
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


def top_types_chart(by_type: dict, *, since: date) -> Chart:
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
        title=_("Top problem types, last %(days)d days") % {"days": TOP_DAYS},
        description=_("Tickets per problem type that occurred in the period."),
        kind="bar",
        series=[_("Tickets")],
        categories=categories,
    )


def top_customers_chart(by_customer: dict, *, since: date) -> Chart:
    """The busiest customers; their names in one query (a handful of primary keys)."""
    after = f"{since:%Y-%m-%d}"
    top = sorted(by_customer.items(), key=lambda item: (-item[1], item[0]))[:TOP_CUSTOMERS]
    names = dict(Customer.objects.filter(pk__in=[pk for pk, _count in top]).values_list("pk", "name"))
    categories = [
        Category(
            label=names.get(customer_id, str(customer_id)),
            url=table_url(customer=customer_id, occurred_after=after),
            cells=(Cell(count, url=table_url(customer=customer_id, occurred_after=after)),),
        )
        for customer_id, count in top
    ]
    return Chart(
        slug="top-customers",
        title=_("Top customers, last %(days)d days") % {"days": TOP_DAYS},
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


def dashboard(*, today: date | None = None) -> Dashboard:
    """Everything the page shows: four queries (five with the knowledge chapter), whatever the data."""
    today = today or timezone.localdate()
    start = months_back(today, TREND_MONTHS)
    since = today - timedelta(days=TOP_DAYS - 1)
    work = open_work()
    months = month_counts(start=start, end=today)
    by_type, by_customer = recent_counts(since=since)
    charts = {
        "open_priority": open_by_priority_chart(work),
        "open_type": open_by_type_chart(work),
        "workload": workload_chart(work),
        "breach_trend": breach_trend_chart(months, start=start, end=today),
        "csat_trend": csat_trend_chart(aggregates.csat_by_month(start=start, end=today)),
        "top_types": top_types_chart(by_type, since=since),
        "top_customers": top_customers_chart(by_customer, since=since),
    }
    knowledge = knowledge_counts(start=start, end=today)
    if knowledge is not None:
        charts["knowledge"] = knowledge_chart(months, knowledge, start=start, end=today)
    return Dashboard(
        open_total=work.total,
        open_url=_open_url(),
        at_risk=work.by_sla.get(SlaState.AT_RISK, 0),
        at_risk_url=_open_url(sla=SlaState.AT_RISK.value),
        breached=work.by_sla.get(SlaState.BREACHED, 0),
        breached_url=_open_url(sla=SlaState.BREACHED.value),
        charts=charts,
        trend_start=start,
        top_since=since,
    )


# ---------------------------------------------------------------- view


@require_GET
@permission_required("toolkit.view_ticket", raise_exception=True)
def dashboard_view(request):
    context = {
        "board": dashboard(),
        "can_see_reports": request.user.has_perm("toolkit.view_exportlog"),
    }
    if request.user.has_perm("toolkit.view_delivery"):
        # Admins see reminders that could not be delivered (failed, or waiting for a paused webhook).
        context["outbound"] = notifications.outbound_health()
    return render(request, "toolkit/dashboard.html", context)
