"""Counting a table's rows cheaply (issue 15 §1): exact up to settings.TABLE_EXACT_COUNT_MAX, an estimate
from PostgreSQL's planner above it.

The exact count is bounded: ``SELECT COUNT(*) FROM (… LIMIT max + 1)`` reads at most max + 1 rows, so a
filter matching 60,000 tickets no longer counts them all. Only when the bound is reached does the planner
give its estimate (``EXPLAIN``, nothing read); on other databases the count is then exact. Small results
cost one query, as before.

A deep page (page 100: OFFSET 4,950) reads its rows in two steps: the page's ids alone, where the offset
walks only an index, then those rows with their joins. In one step PostgreSQL joins customer, contact
and users for all 5,000 skipped rows first (10 ms instead of about 2).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

DEFAULT_EXACT_COUNT_MAX = 1_000
# From this offset on, a page reads its ids first (see the module's docstring).
DEFERRED_JOIN_OFFSET = 500


def exact_count_max() -> int:
    return max(0, int(getattr(settings, "TABLE_EXACT_COUNT_MAX", DEFAULT_EXACT_COUNT_MAX)))


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of how many rows ``queryset`` returns; None on other databases.

    Only the ids are planned: the table's joins (customer, contact, users) never change how many rows
    match, and planning them cost ~2 ms of the ~2.5 ms this took (the same estimate either way)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """A Paginator whose ``count`` is exact up to exact_count_max() and else PostgreSQL's estimate, in
    which case ``estimated`` is True (show "about N")."""

    estimated = False

    @cached_property
    def count(self) -> int:
        limit = exact_count_max()
        queryset: Any = self.object_list  # a QuerySet (the table's filtered tickets)
        bounded = queryset.order_by()[: limit + 1].count()
        if bounded <= limit:
            return bounded
        estimate = planner_estimate(queryset)
        if estimate is None:
            return queryset.count()
        self.estimated = True
        # Never fewer than the rows known to be there.
        return max(estimate, bounded)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset: Any = self.object_list
        if bottom < DEFERRED_JOIN_OFFSET or not hasattr(queryset, "values_list"):
            return self._get_page(queryset[bottom:top], number, self)
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)

    @property
    def rounded_count(self) -> int:
        """The count to show: an estimate to two significant figures (21,347 → 21,000), else exact."""
        if not self.estimated or self.count < 100:
            return self.count
        step = 10 ** (len(str(self.count)) - 2)
        return round(self.count / step) * step
