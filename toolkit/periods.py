"""Local days and months for counting tickets, and the link into the ticket table that selects them.

Shared by the dashboard, the reports and the table's own date filters, so "a day" and "a month" mean
the same local bounds everywhere and every count links to exactly the rows it counts.
"""

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Case, IntegerField, Value, When
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone


def local_midnight(day: date) -> datetime:
    """The start of `day` in the current time zone: compare the raw column with it, so an index serves
    the range (no per-row date())."""
    return timezone.make_aware(datetime.combine(day, time.min))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_back(today: date, count: int) -> date:
    """First day of the month `count - 1` months before today's: the start of a `count`-month window."""
    first = today.replace(day=1)
    for _index in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def months_between(start: date, end: date) -> list[date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def table_url(**params) -> str:
    """The ticket table (diagnosis:list) filtered by its query-string params (None and "" left out)."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")}, doseq=True)
    return f"{reverse('diagnosis:list')}?{query}" if query else reverse("diagnosis:list")


class MonthBuckets:
    """The month of each row as a SQL expression, and back to a date.

    With both ends of the range known, a CASE over the months' local bounds gives the month's index:
    PostgreSQL evaluates it far faster than date_trunc(… AT TIME ZONE …) on every row. Without a
    range the months are not known in advance, so TruncMonth (in the current time zone) it is.
    """

    def __init__(self, column: str, start: date | None, end: date | None):
        self.months = months_between(start, end) if start and end else None
        if self.months:
            self.expression = Case(
                *(
                    When(**{f"{column}__lt": local_midnight(next_month(month))}, then=Value(index))
                    for index, month in enumerate(self.months[:-1])
                ),
                default=Value(len(self.months) - 1),
                output_field=IntegerField(),
            )
        else:
            self.expression = TruncMonth(column)

    def month(self, value) -> date:
        if self.months:
            return self.months[value]
        return timezone.localtime(value).date().replace(day=1)
