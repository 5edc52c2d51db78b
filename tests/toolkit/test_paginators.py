"""The table's cheap count (toolkit.paginators): exact up to TABLE_EXACT_COUNT_MAX, an estimate above it
on PostgreSQL, exact on other databases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import TicketFactory
from toolkit.models import Ticket
from toolkit.paginators import EstimatedCountPaginator

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def five_tickets(db):
    return [TicketFactory() for _ in range(5)]


def test_exact_below_the_threshold(five_tickets, settings, django_assert_num_queries):
    settings.TABLE_EXACT_COUNT_MAX = 5
    paginator = EstimatedCountPaginator(Ticket.objects.order_by("-id"), 2)
    with django_assert_num_queries(1):
        assert paginator.count == 5
    assert not paginator.estimated
    assert paginator.num_pages == 3
    assert paginator.rounded_count == 5


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the planner's estimate is PostgreSQL's")
def test_estimate_above_the_threshold_on_postgresql(five_tickets, settings, django_assert_num_queries):
    settings.TABLE_EXACT_COUNT_MAX = 3
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE toolkit_ticket")
    paginator = EstimatedCountPaginator(Ticket.objects.order_by("-id"), 2)
    with django_assert_num_queries(2):  # the bounded count, then EXPLAIN
        count = paginator.count
    assert paginator.estimated
    assert count >= 4  # never fewer than the rows the bounded count saw
    assert count == 5  # analysed: the planner knows the table's size


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the planner's estimate is PostgreSQL's")
def test_the_estimate_plans_the_ids_without_the_tables_joins(five_tickets, settings):
    """Planning the table's joins cost ~2 ms a page and never changed the estimate; a filter through a
    join (the customer's name) still counts."""
    settings.TABLE_EXACT_COUNT_MAX = 0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE toolkit_ticket")
    name = five_tickets[0].customer.name
    tickets = Ticket.objects.select_related("customer", "contact", "owner").order_by("-id")
    for queryset, matching in ((tickets, 5), (tickets.filter(customer__name=name), 1)):
        with CaptureQueriesContext(connection) as queries:
            count = EstimatedCountPaginator(queryset, 2).count
        explain = queries.captured_queries[-1]["sql"]
        assert explain.startswith("EXPLAIN")
        assert "toolkit_contact" not in explain
        assert "toolkit_user" not in explain
        assert count >= matching


@pytest.mark.skipif(ON_POSTGRESQL, reason="other databases count exactly above the threshold too")
def test_exact_above_the_threshold_elsewhere(five_tickets, settings):
    settings.TABLE_EXACT_COUNT_MAX = 3
    paginator = EstimatedCountPaginator(Ticket.objects.order_by("-id"), 2)
    assert paginator.count == 5
    assert not paginator.estimated


def test_rounded_to_two_significant_figures():
    paginator = EstimatedCountPaginator([], 50)
    paginator.estimated = True
    paginator.count = 21_347
    assert paginator.rounded_count == 21_000
    paginator.count = 987
    assert paginator.rounded_count == 990


def test_the_table_says_about_above_the_threshold(manager_client, five_tickets, settings):
    settings.TABLE_EXACT_COUNT_MAX = 3
    with connection.cursor() as cursor:
        if ON_POSTGRESQL:
            cursor.execute("ANALYZE toolkit_ticket")
    page = manager_client.get(reverse("diagnosis:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    if ON_POSTGRESQL:
        assert "about 5 tickets" in page or "约 5 个问题" in page
    else:
        assert "5 tickets" in page or "5 个问题" in page
    settings.TABLE_EXACT_COUNT_MAX = 10_000
    page = manager_client.get(reverse("diagnosis:list")).content.decode()
    assert "about" not in page.split('id="ticket-count"')[1].split("</p>")[0]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the planner's estimate is PostgreSQL's")
def test_the_bulk_bar_does_not_give_an_estimate_as_exact(manager_client, five_tickets, settings):
    """ "All 4015 tickets matching" was an estimate shown as exact, and sent back as the count to check."""
    settings.TABLE_EXACT_COUNT_MAX = 3
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE toolkit_ticket")
    page = manager_client.get(reverse("diagnosis:list")).content.decode()
    assert "筛选出的全部问题(约 5 个)" in page
    assert '<input type="hidden" name="expected" value="">' in page
    response = manager_client.post(
        reverse("diagnosis:bulk"),
        {
            "action": "priority",
            "priority": "P3",
            "scope": "matching",
            "query": "",
            "expected": "",
            "reason": "批量",
        },
    )
    assert response.status_code == 302
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"P3"}
    settings.TABLE_EXACT_COUNT_MAX = 10
    page = manager_client.get(reverse("diagnosis:list")).content.decode()
    assert "筛选出的全部 5 个问题" in page
    assert '<input type="hidden" name="expected" value="5">' in page


def test_a_deep_page_reads_ids_first_and_keeps_the_order(db, monkeypatch, django_assert_num_queries):
    from toolkit import paginators

    tickets = [TicketFactory() for _ in range(12)]
    monkeypatch.setattr(paginators, "DEFERRED_JOIN_OFFSET", 4)
    queryset = Ticket.objects.select_related("customer", "owner").order_by("-recorded_at", "-id")
    expected = list(queryset)
    paginator = EstimatedCountPaginator(queryset, 4)
    assert paginator.count == len(tickets)
    with django_assert_num_queries(0):
        first = paginator.page(1)  # below the offset: the usual lazy slice
    assert list(first.object_list) == expected[:4]
    with django_assert_num_queries(2):  # the page's ids, then those rows with their joins
        deep = paginator.page(3)
        rows = list(deep.object_list)
    assert rows == expected[8:12]
    assert [row.pk for row in rows] == [row.pk for row in expected[8:12]]
    with django_assert_num_queries(0):
        assert [row.customer.name for row in rows] == [row.customer.name for row in expected[8:12]]
    assert deep.has_previous() and not deep.has_next()
