"""The comparison of a ticket's options as Excel (方案对比表): best first, one column per criterion with its
weight in the header, then the weighted total, cost, duration, people, risk and the rest of each option."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog, Ticket

from .models import Level
from .selectors import comparison, design_of

EXPORT_PERMISSION = "toolkit.export_ticket"
TABLE_TITLE = gettext_lazy("Solution Comparison Table")

LEADING = [
    Column("rank", gettext_lazy("Rank"), 6, "number"),
    Column("option", gettext_lazy("Option"), 10),
    Column("approach", gettext_lazy("Approach"), 40),
]
TRAILING = [
    Column("total", gettext_lazy("Weighted total"), 12, "number"),
    Column("cost", gettext_lazy("Estimated cost (元)"), 14, "number"),
    Column("duration", gettext_lazy("Duration (days)"), 10, "number"),
    Column("people", gettext_lazy("People"), 8, "number"),
    Column("risk_level", gettext_lazy("Risk level"), 10),
    Column("effect", gettext_lazy("Expected effect"), 30),
    Column("pros", gettext_lazy("Pros"), 30),
    Column("cons", gettext_lazy("Cons"), 30),
    Column("chosen", gettext_lazy("Chosen"), 8),
]


def criterion_header(criterion) -> str:
    return _("%(name)s (%(weight)d%%)") % {"name": criterion.display_name, "weight": criterion.weight}


def comparison_columns(criteria) -> list[Column]:
    scores = [Column(f"criterion_{c.pk}", criterion_header(c), 12, "number") for c in criteria]
    return [*LEADING, *scores, *TRAILING]


def export_comparison(*, ticket: Ticket, user) -> ExportedFile:
    """Write the ticket's options best first (a missing score is an empty cell) and log the export."""
    design = design_of(ticket)
    chosen_id = design.chosen_option_id if design else None
    data = comparison(ticket, chosen_option_id=chosen_id, with_coverage=False)
    risk_labels = {value: str(label) for value, label in Level.choices}
    yes = _("Yes")
    rows = [
        [
            entry.rank,
            entry.option.display_label,
            entry.option.approach,
            *[entry.scores.get(criterion.pk) for criterion in data.criteria],
            entry.total,
            entry.option.estimated_cost,
            entry.option.duration_days,
            entry.option.people,
            risk_labels[entry.option.risk_level],
            entry.option.expected_effect,
            entry.option.pros,
            entry.option.cons,
            yes if entry.option.pk == chosen_id else "",
        ]
        for entry in data.ranked
    ]
    name = _("solution-comparison")
    filename = f"{name}-{ticket.number}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    exported = write_table(
        title=f"{TABLE_TITLE} {ticket.number}",
        columns=comparison_columns(data.criteria),
        rows=rows,
        filename=filename,
    )
    with transaction.atomic():
        ExportLog.objects.create(
            user=user,
            table="solutions",
            query_string=f"ticket={ticket.number}",
            row_count=exported.row_count,
            contact_details_masked=False,  # the comparison holds no contact data
        )
    return exported
