"""The ranked requirement list as Excel (需求分析表), in the user's language, through toolkit.excel.

The seed document breaks off before chapter 2's table, so the headers use the chapter's own words
(显性需求/隐性需求/约束条件, 表面需求, 本质诉求, 访谈/问卷/现场调研).
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.registry import Exporter, no_progress, register_exporter
from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog, Ticket

from .models import CollectionMethod, ConstraintType, MoSCoW, RequirementKind
from .selectors import consensus_of, ranked_items

EXPORT_PERMISSION = "toolkit.export_ticket"
TABLE_TITLE = gettext_lazy("Requirement Analysis Table")
# Its name in jobs.registry.
TABLE_EXPORT = "requirements_analysis.table"

COLUMNS = [
    Column("rank", gettext_lazy("Rank"), 6, "number"),
    Column("summary", gettext_lazy("Requirement"), 36),
    Column("kind", gettext_lazy("Requirement type"), 12),
    Column("surface_need", gettext_lazy("Surface need"), 32),
    Column("essential_need", gettext_lazy("Essential need"), 32),
    Column("collection_method", gettext_lazy("Collection method"), 12),
    Column("source_person", gettext_lazy("Raised by"), 14),
    Column("source_department", gettext_lazy("Department"), 14),
    Column("constraint", gettext_lazy("Constraint value"), 20),
    Column("value", gettext_lazy("Value (1–5)"), 9, "number"),
    Column("urgency", gettext_lazy("Urgency (1–5)"), 9, "number"),
    Column("effort", gettext_lazy("Effort (1–5)"), 9, "number"),
    Column("score", gettext_lazy("Score"), 8, "number"),
    Column("moscow", gettext_lazy("MoSCoW"), 10),
]


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def constraint_display(item) -> str:
    """A constraint's typed value as text: 100000 元 · 2024-06-30 · 需兼容旧系统; empty for other kinds."""
    if item.constraint_type == ConstraintType.AMOUNT and item.constraint_amount is not None:
        return f"{item.constraint_amount.normalize():f} {item.constraint_text}".strip()
    if item.constraint_type == ConstraintType.DATE and item.constraint_date is not None:
        return item.constraint_date.isoformat()
    if item.constraint_type == ConstraintType.TEXT:
        return item.constraint_text
    return ""


def requirement_rows(ticket: Ticket, items=None):
    labels = {
        "kind": _labels(RequirementKind),
        "method": _labels(CollectionMethod),
        "moscow": _labels(MoSCoW),
    }
    for rank, item in enumerate(ranked_items(ticket) if items is None else items, start=1):
        yield [
            rank,
            item.summary,
            labels["kind"][item.kind],
            item.surface_need,
            item.essential_need,
            labels["method"][item.collection_method],
            item.source_person,
            item.source_department,
            constraint_display(item),
            item.value,
            item.urgency,
            item.effort,
            item.rank_score,
            labels["moscow"][item.moscow],
        ]


def _ticket(params) -> Ticket:
    ticket = Ticket.objects.filter(number=params["ticket"]).first()
    if ticket is None:
        raise LookupError(params["ticket"])
    return ticket


def table_count(params) -> int:
    return ranked_items(_ticket(params)).count()


def table_write(*, params, user, progress=no_progress) -> ExportedFile:
    """The ticket's ranked requirement list (no log: see table_log)."""
    ticket = _ticket(params)
    consensus = consensus_of(ticket)
    state = _("confirmed") if consensus.is_confirmed else _("not yet confirmed")
    title = _("%(table)s %(number)s (%(state)s)") % {
        "table": TABLE_TITLE,
        "number": ticket.number,
        "state": state,
    }
    name = _("requirement-analysis")
    filename = f"{name}-{ticket.number}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    rows = requirement_rows(ticket, ranked_items(ticket).iterator(chunk_size=2000))
    return write_table(title=title, columns=COLUMNS, rows=progress(rows), filename=filename)


def table_log(*, params, user, row_count: int) -> None:
    """Who, when, which ticket, how many rows."""
    ExportLog.objects.create(
        user=user,
        table="requirements",
        query_string=f"ticket={params['ticket']}",
        row_count=row_count,
        # No customer contact details in this table.
        contact_details_masked=False,
    )


def register() -> None:
    """The export, for the request or a background job above EXPORT_INLINE_MAX_ROWS (jobs.exports)."""
    register_exporter(
        TABLE_EXPORT,
        Exporter(
            label=TABLE_TITLE,
            count=table_count,
            write=table_write,
            log=table_log,
            back_url=lambda params: reverse("requirements_analysis:analysis", args=[params["ticket"]]),
        ),
    )


# Found by the jobs app when it starts (autodiscover_modules("exports") in jobs/apps.py).
register()
