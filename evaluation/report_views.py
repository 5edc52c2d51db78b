"""The managers' report page: CSAT and SLA compliance by priority, type, customer, owner and month.

Gate: ``evaluation.view_reports``, a permission only the manager and admin roles hold (toolkit/roles.py);
engineers get 403. The report is about the team's results, not about one ticket.
"""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from toolkit.charts import Category, Cell, Chart
from toolkit.choices import SlaTargetKind
from toolkit.periods import months_back

from . import aggregates

REPORT_PERMISSION = "evaluation.view_reports"
DEFAULT_MONTHS = 6
CHART_ROWS = 15  # customers and owners: the chart shows the busiest 15, the table all of them
DATE_INPUT = forms.DateInput(
    attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"
)


class ReportRangeForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Occurred on or after"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=gettext_lazy("Occurred on or before"), required=False, widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", gettext_lazy("The end must not be before the start."))
        return cleaned


def default_range():
    today = timezone.localdate()
    return months_back(today, DEFAULT_MONTHS), today


def _percent(rate) -> str:
    return "—" if rate.percent is None else f"{rate.percent:g}%"


def dimension_chart(dimension: str, rows) -> Chart:
    """CSAT and the two SLA compliance rates of each group: a line by month, grouped bars otherwise."""
    series = [_("CSAT"), _("First response on time"), _("Resolution on time")]
    shown = (
        rows
        if dimension in (aggregates.MONTH, aggregates.PRIORITY, aggregates.PROBLEM_TYPE)
        else rows[:CHART_ROWS]
    )
    categories = [
        Category(
            label=row.label,
            url=row.url,
            cells=(
                Cell(row.csat.percent, _percent(row.csat), row.url),
                Cell(
                    row.sla[SlaTargetKind.RESPONSE].percent,
                    _percent(row.sla[SlaTargetKind.RESPONSE]),
                    row.url,
                ),
                Cell(
                    row.sla[SlaTargetKind.RESOLUTION].percent,
                    _percent(row.sla[SlaTargetKind.RESOLUTION]),
                    row.url,
                ),
            ),
        )
        for row in shown
    ]
    label = aggregates.DIMENSIONS[dimension]
    return Chart(
        slug=f"report-{dimension}",
        title=_("CSAT and SLA compliance by %(dimension)s") % {"dimension": label},
        description=_("Percentages per group: CSAT, first response on time, resolution on time."),
        kind="line" if dimension == aggregates.MONTH else "bar",
        series=series,
        categories=categories,
        unit="%",
        value_max=100,
    )


@require_GET
@permission_required(REPORT_PERMISSION, raise_exception=True)
def reports(request):
    start, end = default_range()
    form = ReportRangeForm(request.GET or {"start": start, "end": end})
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    sections = []
    report = aggregates.report_all(start=start, end=end)
    for dimension, label in aggregates.DIMENSIONS.items():
        rows = report[dimension]
        sections.append(
            {"dimension": dimension, "label": label, "rows": rows, "chart": dimension_chart(dimension, rows)}
        )
    context = {"form": form, "start": start, "end": end, "sections": sections, "chart_rows": CHART_ROWS}
    return render(request, "evaluation/reports/index.html", context)
