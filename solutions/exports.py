"""The comparison of a ticket's options as Excel (方案对比表): best first, one column per criterion with its
weight in the header, then the weighted total, cost, duration, people, risk and the rest of each option."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.registry import Exporter, no_progress, register_exporter
from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog, Ticket

from .models import Level, SolutionOption
from .selectors import comparison, design_of

EXPORT_PERMISSION = "toolkit.export_ticket"
TABLE_TITLE = gettext_lazy("Solution Comparison Table")
# Its name in jobs.registry.
COMPARISON_EXPORT = "solutions.comparison"

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


def _ticket(params) -> Ticket:
    ticket = Ticket.objects.filter(number=params["ticket"]).first()
    if ticket is None:
        raise LookupError(params["ticket"])
    return ticket


def comparison_count(params) -> int:
    return SolutionOption.objects.filter(ticket=_ticket(params)).count()


def comparison_write(*, params, user, progress=no_progress) -> ExportedFile:
    """The ticket's options best first (a missing score is an empty cell); no log: see comparison_log."""
    ticket = _ticket(params)
    design = design_of(ticket)
    chosen_id = design.chosen_option_id if design else None
    data = comparison(ticket, chosen_option_id=chosen_id, with_coverage=False)
    risk_labels = {value: str(label) for value, label in Level.choices}
    yes = _("Yes")
    rows = (
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
    )
    name = _("solution-comparison")
    filename = f"{name}-{ticket.number}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return write_table(
        title=f"{TABLE_TITLE} {ticket.number}",
        columns=comparison_columns(data.criteria),
        rows=progress(rows),
        filename=filename,
    )


def comparison_log(*, params, user, row_count: int) -> None:
    ExportLog.objects.create(
        user=user,
        table="solutions",
        query_string=f"ticket={params['ticket']}",
        row_count=row_count,
        contact_details_masked=False,  # the comparison holds no contact data
    )


def register() -> None:
    """The export, for the request or a background job above EXPORT_INLINE_MAX_ROWS (jobs.exports)."""
    register_exporter(
        COMPARISON_EXPORT,
        Exporter(
            label=TABLE_TITLE,
            count=comparison_count,
            write=comparison_write,
            log=comparison_log,
            back_url=lambda params: reverse("solutions:design", args=[params["ticket"]]),
        ),
    )


# Found by the jobs app when it starts (autodiscover_modules("exports") in jobs/apps.py).
register()
