"""The evaluation report as Excel (效果评估表): one row per ticket evaluated in a month, with its results
against the SLA, reopenings, hours, requirements delivered, recurrences and the customer's answer."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog, Ticket

from .selectors import evaluated_in, month_bounds, results_of, verification_of, with_results

EXPORT_PERMISSION = "toolkit.export_ticket"
TABLE_TITLE = gettext_lazy("Effect Evaluation Report")

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


def _write(*, title: str, tickets, filename: str, user, query_string: str) -> ExportedFile:
    exported = write_table(
        title=title,
        columns=COLUMNS,
        rows=(report_row(ticket) for ticket in tickets.iterator()),
        filename=filename,
    )
    with transaction.atomic():
        ExportLog.objects.create(
            user=user,
            table="evaluation",
            query_string=query_string,
            row_count=exported.row_count,
            contact_details_masked=False,  # the report holds no contact data
        )
    return exported


def export_month(*, year: int, month: int, user) -> ExportedFile:
    start, end = month_bounds(year, month)
    name = _("evaluation-report")
    return _write(
        title=f"{TABLE_TITLE} {year:04d}-{month:02d}",
        tickets=evaluated_in(start, end),
        filename=f"{name}-{year:04d}{month:02d}-{timezone.localtime():%Y%m%d-%H%M}.xlsx",
        user=user,
        query_string=f"month={year:04d}-{month:02d}",
    )


def export_ticket(*, number: str, user) -> ExportedFile:
    tickets = with_results(Ticket.objects.filter(number=number)).select_related(
        "customer", "owner", "verification"
    )
    if not tickets.exists():
        raise Ticket.DoesNotExist
    name = _("evaluation-report")
    return _write(
        title=f"{TABLE_TITLE} {number}",
        tickets=tickets,
        filename=f"{name}-{number}-{timezone.localtime():%Y%m%d-%H%M}.xlsx",
        user=user,
        query_string=f"ticket={number}",
    )
