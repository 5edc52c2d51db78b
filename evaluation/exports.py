"""The evaluation report as Excel (效果评估表): one row per ticket evaluated in a month, with its results
against the SLA, reopenings, hours, requirements delivered, recurrences and the customer's answer."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.registry import Exporter, no_progress, register_exporter
from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog, Ticket

from .selectors import evaluated_in, month_bounds, results_of, verification_of, with_results

EXPORT_PERMISSION = "toolkit.export_ticket"
TABLE_TITLE = gettext_lazy("Effect Evaluation Report")
# Their names in jobs.registry.
MONTH_EXPORT = "evaluation.month"
TICKET_EXPORT = "evaluation.ticket"

COLUMNS = [
    Column("number", gettext_lazy("Ticket No."), 18),
    Column("customer", gettext_lazy("Customer"), 20),
    Column("priority", gettext_lazy("Priority"), 10),
    Column("problem_type", gettext_lazy("Type"), 10),
    Column("owner", gettext_lazy("Owner"), 12),
    Column("verified_at", gettext_lazy("Verified at"), 17, "datetime"),
    Column("response_met", gettext_lazy("First response"), 10),
    Column("resolution_met", gettext_lazy("Resolution"), 10),
    Column("reopen_count", gettext_lazy("Reopened"), 8, "number"),
    Column("hours", gettext_lazy("Hours spent"), 10, "number"),
    Column("requirements", gettext_lazy("Requirements delivered"), 12),
    Column("recurrences", gettext_lazy("Recurrences"), 8, "number"),
    Column("response_speed", gettext_lazy("Response speed"), 8, "number"),
    Column("effectiveness", gettext_lazy("Effectiveness"), 8, "number"),
    Column("attitude", gettext_lazy("Service attitude"), 8, "number"),
    Column("communication", gettext_lazy("Communication"), 8, "number"),
    Column("overall", gettext_lazy("Overall satisfaction"), 8, "number"),
    Column("comment", gettext_lazy("Customer comment"), 40),
]


def met_label(value) -> str:
    if value is None:
        return _("Not measured")
    return _("Met") if value else _("Missed")


def report_row(ticket: Ticket) -> list:
    results = results_of(ticket)
    scores = results.scores or {}
    verification = verification_of(ticket)
    return [
        ticket.number,
        ticket.customer.name,
        ticket.get_priority_display(),
        ticket.get_problem_type_display(),
        ticket.owner.display_name,
        verification.verified_at if verification else None,
        met_label(results.response_met),
        met_label(results.resolution_met),
        results.reopen_count,
        float(results.hours),
        results.requirements_label,
        results.recurrence_count,
        scores.get("response_speed"),
        scores.get("effectiveness"),
        scores.get("attitude"),
        scores.get("communication"),
        scores.get("overall"),
        results.comment,
    ]


def _log(*, user, query_string: str, row_count: int) -> None:
    ExportLog.objects.create(
        user=user,
        table="evaluation",
        query_string=query_string,
        row_count=row_count,
        contact_details_masked=False,  # the report holds no contact data
    )


def _month_tickets(params):
    start, end = month_bounds(params["year"], params["month"])
    return evaluated_in(start, end)


def month_count(params) -> int:
    return _month_tickets(params).count()


def month_write(*, params, user, progress=no_progress) -> ExportedFile:
    year, month = params["year"], params["month"]
    name = _("evaluation-report")
    return write_table(
        title=f"{TABLE_TITLE} {year:04d}-{month:02d}",
        columns=COLUMNS,
        rows=progress(report_row(ticket) for ticket in _month_tickets(params).iterator(chunk_size=2000)),
        filename=f"{name}-{year:04d}{month:02d}-{timezone.localtime():%Y%m%d-%H%M}.xlsx",
    )


def month_log(*, params, user, row_count: int) -> None:
    _log(user=user, query_string=f"month={params['year']:04d}-{params['month']:02d}", row_count=row_count)


def _ticket_tickets(params):
    return with_results(Ticket.objects.filter(number=params["ticket"])).select_related(
        "customer", "owner", "verification"
    )


def ticket_count(params) -> int:
    count = _ticket_tickets(params).count()
    if not count:
        raise LookupError(params["ticket"])
    return count


def ticket_write(*, params, user, progress=no_progress) -> ExportedFile:
    number = params["ticket"]
    name = _("evaluation-report")
    return write_table(
        title=f"{TABLE_TITLE} {number}",
        columns=COLUMNS,
        rows=progress(report_row(ticket) for ticket in _ticket_tickets(params)),
        filename=f"{name}-{number}-{timezone.localtime():%Y%m%d-%H%M}.xlsx",
    )


def ticket_log(*, params, user, row_count: int) -> None:
    _log(user=user, query_string=f"ticket={params['ticket']}", row_count=row_count)


def register() -> None:
    """Both exports, for the request or a background job above EXPORT_INLINE_MAX_ROWS (jobs.exports)."""
    register_exporter(
        MONTH_EXPORT,
        Exporter(
            label=TABLE_TITLE,
            count=month_count,
            write=month_write,
            log=month_log,
            back_url=lambda params: reverse("evaluation_reports:index"),
        ),
    )
    register_exporter(
        TICKET_EXPORT,
        Exporter(
            label=TABLE_TITLE,
            count=ticket_count,
            write=ticket_write,
            log=ticket_log,
            back_url=lambda params: reverse("evaluation:page", args=[params["ticket"]]),
        ),
    )


# Found by the jobs app when it starts (autodiscover_modules("exports") in jobs/apps.py).
register()
