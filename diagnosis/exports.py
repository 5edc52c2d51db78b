"""The diagnosis table as Excel (技术服务问题快速诊断表): the same 15 columns and filters as the page."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from toolkit.choices import ProblemType, Source
from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog
from toolkit.privacy import (
    CONTACT_DETAILS_PERMISSION,
    can_see_contact_details,
    mask_contact_details,
    mask_free_text,
    mask_person_name,
)

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

TO_BE_VERIFIED = gettext_lazy("(to be verified)")


def judgement_text(ticket) -> str:
    if ticket.judgement_unverified:
        return f"{ticket.preliminary_judgement} {TO_BE_VERIFIED}".strip()
    return ticket.preliminary_judgement


def _labels(choices) -> dict[str, str]:
    """Choice labels in the active language, looked up once per export instead of once per cell."""
    return {value: str(label) for value, label in choices.choices}


def diagnosis_row(index: int, ticket, user, labels: dict) -> list:
    visible = can_see_contact_details(user, ticket)
    text = str if visible else mask_free_text  # phones and e-mails typed into the free text
    return [
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


def export_diagnosis_table(*, filterset, user, query_string: str) -> ExportedFile:
    """Write the filtered rows (streamed from the database in chunks) and log the export."""
    tickets = filterset.qs.iterator(chunk_size=2000)
    labels = {"source": _labels(Source), "problem_type": _labels(ProblemType)}
    rows = (diagnosis_row(index, ticket, user, labels) for index, ticket in enumerate(tickets, start=1))
    name = _("diagnosis-table")
    filename = f"{name}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    exported = write_table(
        title=str(TABLE_TITLE), sheet_name=str(SHEET_NAME), columns=COLUMNS, rows=rows, filename=filename
    )
    with transaction.atomic():
        ExportLog.objects.create(
            user=user,
            table="diagnosis",
            query_string=query_string[:2000],
            row_count=exported.row_count,
            contact_details_masked=not user.has_perm(CONTACT_DETAILS_PERMISSION),
        )
    return exported


def import_template() -> ExportedFile:
    """The import's layout without rows (title and the 15 headers in the active language), to fill in."""
    filename = f"{_('diagnosis-import-template')}.xlsx"
    return write_table(
        title=str(TABLE_TITLE), sheet_name=str(SHEET_NAME), columns=COLUMNS, rows=[], filename=filename
    )
