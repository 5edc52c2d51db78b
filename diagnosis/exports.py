"""The diagnosis table as Excel (技术服务问题快速诊断表): the same filters as the page; the document's 15
columns first and in order, then the ticket's state (stage, SLA state, SLA due). ``layout=document`` in
the query string gives exactly the document's 15."""

import uuid

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from jobs.models import Job, JobKind
from jobs.services import job_create, job_fail, job_finish, job_lock_running, job_progress
from toolkit.choices import ProblemType, SlaState, Source, Stage
from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog
from toolkit.privacy import (
    CONTACT_DETAILS_PERMISSION,
    can_see_contact_details,
    mask_contact_details,
    mask_free_text,
    mask_person_name,
)

from .selectors import ticket_list

TABLE_TITLE = gettext_lazy("Technical Service Problem Quick Diagnosis Table")
# Excel allows 31 characters in a sheet name: the English title has 47 (技术服务问题快速诊断表 fits).
SHEET_NAME = pgettext_lazy("Excel sheet name, at most 31 characters", "Quick Diagnosis Table")

# The document's 15 columns, in order. Import reads the same layout.
COLUMNS = [
    Column("no", gettext_lazy("No."), 6, "number"),
    Column("number", gettext_lazy("Ticket No."), 18),
    Column("customer", gettext_lazy("Customer"), 20),
    Column("contact", gettext_lazy("Contact"), 12),
    Column("contact_details", gettext_lazy("Contact details"), 18),
    Column("source", gettext_lazy("Source"), 12),
    Column("occurred_at", gettext_lazy("Occurred at"), 17, "datetime"),
    Column("description", gettext_lazy("Description (symptom + impact)"), 48),
    Column("error_message", gettext_lazy("Error message (if any)"), 28),
    Column("problem_type", gettext_lazy("Type"), 10),
    Column("priority", gettext_lazy("Priority"), 9),
    Column("judgement", gettext_lazy("Preliminary judgement"), 28),
    Column("owner", gettext_lazy("Owner"), 16),
    Column("recorded_by", gettext_lazy("Recorded by"), 16),
    Column("recorded_at", gettext_lazy("Recorded at"), 17, "datetime"),
]

# After the document's 15: where the ticket stands. The import recognises these headers (and reads the
# stage), so an exported file goes back in as it is.
STATE_COLUMNS = [
    Column("stage", gettext_lazy("Stage"), 12),
    Column("sla_state", gettext_lazy("SLA state"), 10),
    Column("sla_due", pgettext_lazy("table column", "SLA due"), 17, "datetime"),
]

# layout= in the query string → the columns written. "" (absent) is the full table.
DOCUMENT_LAYOUT = "document"
LAYOUTS = {"": COLUMNS + STATE_COLUMNS, "full": COLUMNS + STATE_COLUMNS, DOCUMENT_LAYOUT: COLUMNS}

TO_BE_VERIFIED = gettext_lazy("(to be verified)")


class UnknownLayout(ValueError):
    """layout= names no layout; the view says so instead of guessing."""


def export_columns(query) -> list[Column]:
    """The columns for the query string's ``layout=`` (a QueryDict or dict); UnknownLayout otherwise."""
    layout = query.get("layout", "") or ""
    if layout not in LAYOUTS:
        raise UnknownLayout(layout)
    return LAYOUTS[layout]


def judgement_text(ticket) -> str:
    if ticket.judgement_unverified:
        return f"{ticket.preliminary_judgement} {TO_BE_VERIFIED}".strip()
    return ticket.preliminary_judgement


def _labels(choices) -> dict[str, str]:
    """Choice labels in the active language, looked up once per export instead of once per cell."""
    return {value: str(label) for value, label in choices.choices}


def diagnosis_row(index: int, ticket, user, labels: dict, *, state: bool = False) -> list:
    """One ticket as the document's 15 cells, then (``state``) its stage, SLA state and SLA due."""
    visible = can_see_contact_details(user, ticket)
    text = str if visible else mask_free_text  # phones and e-mails typed into the free text
    row = [
        index,
        ticket.number,
        ticket.customer.name,
        ticket.contact.name if visible else mask_person_name(ticket.contact.name),
        ticket.contact_details if visible else mask_contact_details(ticket.contact_details),
        labels["source"][ticket.source],
        ticket.occurred_at,
        text(ticket.description),
        text(ticket.error_message),
        labels["problem_type"][ticket.problem_type],
        ticket.priority,
        text(judgement_text(ticket)),
        ticket.owner.display_name,
        ticket.recorded_by.display_name,
        ticket.recorded_at,
    ]
    if state:
        row += [
            labels["stage"][ticket.stage],
            labels["sla_state"].get(ticket.sla_state, ""),
            ticket.sla_due_at,  # written as local time to the minute (toolkit.excel)
        ]
    return row


def _written(*, filterset, user, columns=None, progress=None) -> ExportedFile:
    """The filtered rows written to a temporary file (streamed from the database in chunks)."""
    columns = LAYOUTS[""] if columns is None else columns
    state = len(columns) > len(COLUMNS)
    tickets = filterset.qs.iterator(chunk_size=2000)
    labels = {
        "source": _labels(Source),
        "problem_type": _labels(ProblemType),
        "stage": _labels(Stage),
        "sla_state": _labels(SlaState),
    }
    rows = (
        diagnosis_row(index, ticket, user, labels, state=state)
        for index, ticket in enumerate(tickets, start=1)
    )
    if progress is not None:
        rows = _reporting(rows, progress)
    name = _("diagnosis-table")
    filename = f"{name}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return write_table(
        title=str(TABLE_TITLE), sheet_name=str(SHEET_NAME), columns=columns, rows=rows, filename=filename
    )


def _reporting(rows, progress, every: int = 2000):
    for count, row in enumerate(rows, start=1):
        if count % every == 0:
            progress(count)
        yield row


def _log_export(*, user, query_string: str, row_count: int) -> None:
    ExportLog.objects.create(
        user=user,
        table="diagnosis",
        query_string=query_string[:2000],
        row_count=row_count,
        contact_details_masked=not user.has_perm(CONTACT_DETAILS_PERMISSION),
    )


def export_diagnosis_table(*, filterset, user, query_string: str, columns=None) -> ExportedFile:
    """Write the filtered rows and log the export: in the request, for up to EXPORT_INLINE_MAX_ROWS.
    `columns` from export_columns (the full table when None)."""
    exported = _written(filterset=filterset, user=user, columns=columns)
    with transaction.atomic():
        _log_export(user=user, query_string=query_string, row_count=exported.row_count)
    return exported


def export_is_inline(filterset) -> bool:
    """Small enough to write while the browser waits (one COUNT on the filter's indexes)."""
    return filterset.qs.count() <= settings.EXPORT_INLINE_MAX_ROWS


def export_job_start(*, user, query_string: str) -> Job:
    """A large export as a background job: the worker writes the file, the requester downloads it from
    /exports/<id>/ until it expires (EXPORT_RETENTION_HOURS)."""
    return job_create(
        kind=JobKind.TICKET_EXPORT,
        requester=user,
        options={"query": query_string},
        retention_hours=settings.EXPORT_RETENTION_HOURS,
    )


def export_job_run(job: Job) -> None:
    """The worker's side. The file is stored first, then recorded with the export log in one transaction;
    an attempt that lost the job to another (a worker restarted mid-way) removes its own file."""
    query = QueryDict(job.options.get("query", ""))
    # owner=me is the requester: the job has no request, and must not read it as nobody.
    filterset = ticket_list(data=query, user=job.requester)
    try:
        columns = export_columns(query)
    except UnknownLayout:
        columns = None
    if columns is None or not filterset.is_valid():
        job_fail(job, report={"error": _("The export's filters are not valid any more.")})
        return
    job_progress(job, done=0, total=filterset.qs.count())
    exported = _written(
        filterset=filterset,
        user=job.requester,
        columns=columns,
        progress=lambda done: job_progress(job, done=done),
    )
    with exported.file:
        stored = default_storage.save(f"jobs/results/{uuid.uuid4().hex}.xlsx", File(exported.file))
    try:
        with transaction.atomic():
            job_lock_running(job)
            _log_export(
                user=job.requester, query_string=job.options.get("query", ""), row_count=exported.row_count
            )
            Job.objects.filter(pk=job.pk).update(result=stored)
            job_finish(job, report={"rows": exported.row_count, "filename": exported.filename})
    except Exception:
        default_storage.delete(stored)
        raise


def import_template() -> ExportedFile:
    """The import's layout without rows (title and the 15 headers in the active language), to fill in."""
    name = _("diagnosis-import-template")
    filename = f"{name}.xlsx"
    return write_table(
        title=str(TABLE_TITLE), sheet_name=str(SHEET_NAME), columns=COLUMNS, rows=[], filename=filename
    )
