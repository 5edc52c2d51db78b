"""Managers' aggregates: CSAT and SLA compliance by dimension on a known data set, their links into the
diagnosis table, and the report page (permission, query count, both languages)."""

import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.http import QueryDict
from django.urls import reverse

from diagnosis.selectors import ticket_list
from evaluation import aggregates
from evaluation.models import Survey, SurveyResponse
from tests.factories import CustomerFactory, TicketFactory, UserFactory
from toolkit.choices import Priority, ProblemType, SlaClock, SlaState, SlaTargetKind, Stage
from toolkit.models import TicketSla

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 3, 1), date(2026, 4, 30)
REPORT_URL = reverse("evaluation_reports:index")
RESPONSE, RESOLUTION = SlaTargetKind.RESPONSE, SlaTargetKind.RESOLUTION


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def target(ticket, kind, *, on_time=None, state=SlaState.OK):
    """A target due 1 h after the ticket occurred: on_time True/False sets met_at before/after it."""
    started = ticket.occurred_at
    due = started + timedelta(hours=1)
    met_at = None
    if on_time is not None:
        met_at = due - timedelta(minutes=5) if on_time else due + timedelta(minutes=5)
        state = SlaState.OK if on_time else SlaState.BREACHED
    return TicketSla.objects.create(
        ticket=ticket,
        target=kind,
        started_at=started,
        target_minutes=60,
        clock=SlaClock.ALWAYS,
        due_at=due,
        met_at=met_at,
        state=state,
    )


def respond(ticket, overall, by):
    survey = Survey.objects.create(ticket=ticket, token_hash=secrets.token_hex(32), created_by=by)
    scores = dict.fromkeys(("response_speed", "effectiveness", "attitude", "communication"), 3)
    return SurveyResponse.objects.create(survey=survey, ticket=ticket, overall=overall, **scores)


@pytest.fixture
def known(db):
    """Four tickets; three of them in March–April 2026 (one just after midnight on 1 April, local time)."""
    owner_a = UserFactory(username="owner_a", first_name="甲", job_title="技术工程师", role="engineer")
    owner_b = UserFactory(username="owner_b", first_name="乙", job_title="数据库工程师", role="engineer")
    tsa, tsb = CustomerFactory(name="TSA公司"), CustomerFactory(name="TSB工厂")
    t1 = TicketFactory(
        priority=Priority.P1,
        problem_type=ProblemType.FUNCTIONAL,
        customer=tsa,
        owner=owner_a,
        stage=Stage.CLOSED,
        occurred_at=at(2026, 3, 10, 10, 0),
    )
    t2 = TicketFactory(
        priority=Priority.P0,
        problem_type=ProblemType.PERFORMANCE,
        customer=tsb,
        owner=owner_b,
        stage=Stage.IMPLEMENTATION,
        occurred_at=at(2026, 3, 20, 9, 0),
    )
    t3 = TicketFactory(
        priority=Priority.P1,
        problem_type=ProblemType.FUNCTIONAL,
        customer=tsb,
        owner=owner_a,
        stage=Stage.DIAGNOSIS,
        occurred_at=at(2026, 4, 1, 0, 30),  # 2026-03-31 16:30 UTC: April in Shanghai
    )
    t4 = TicketFactory(
        priority=Priority.P2,
        problem_type=ProblemType.ENVIRONMENT,
        customer=tsa,
        owner=owner_b,
        stage=Stage.CLOSED,
        occurred_at=at(2026, 5, 1, 10, 0),
    )
    target(t1, RESPONSE, on_time=True)
    target(t1, RESOLUTION, on_time=False)
    target(t2, RESPONSE, on_time=False)
    target(t2, RESOLUTION, state=SlaState.BREACHED)  # still running, already breached: a miss
    target(t3, RESPONSE, on_time=True)
    target(t3, RESOLUTION, state=SlaState.AT_RISK)  # running, not breached: not counted yet
    target(t4, RESPONSE, on_time=True)
    respond(t1, 5, owner_a)
    respond(t2, 3, owner_b)
    respond(t3, 4, owner_a)
    respond(t3, 2, owner_a)
    respond(t4, 1, owner_b)
    return {"owners": (owner_a, owner_b), "customers": (tsa, tsb), "tickets": (t1, t2, t3, t4)}


def _summary(rows):
    """{key: (csat part/whole, response part/whole, resolution part/whole)}"""
    return {
        row.key: (
            (row.csat.part, row.csat.whole),
            (row.sla[RESPONSE].part, row.sla[RESPONSE].whole),
            (row.sla[RESOLUTION].part, row.sla[RESOLUTION].whole),
        )
        for row in rows
    }


def test_by_priority_in_the_range(known):
    rows = aggregates.report(aggregates.PRIORITY, start=START, end=END)
    assert [row.key for row in rows] == ["P0", "P1"]
    assert _summary(rows) == {"P0": ((0, 1), (0, 1), (0, 1)), "P1": ((2, 3), (2, 2), (0, 1))}
    p1 = rows[1]
    assert p1.csat.percent == 66.7
    assert p1.sla[RESPONSE].percent == 100.0
    assert p1.average_overall == pytest.approx(3.67)
    assert rows[0].label == str(Priority.P0.label)


def test_without_a_range_every_ticket_counts(known):
    rows = aggregates.report(aggregates.PRIORITY)
    assert _summary(rows)["P2"] == ((0, 1), (1, 1), (0, 0))
    assert rows[2].sla[RESOLUTION].percent is None


def test_by_type_customer_and_owner(known):
    owner_a, owner_b = known["owners"]
    tsa, tsb = known["customers"]
    by_type = aggregates.report(aggregates.PROBLEM_TYPE, start=START, end=END)
    assert _summary(by_type) == {
        "functional": ((2, 3), (2, 2), (0, 1)),
        "performance": ((0, 1), (0, 1), (0, 1)),
    }
    by_customer = aggregates.report(aggregates.CUSTOMER, start=START, end=END)
    assert _summary(by_customer) == {tsa.pk: ((1, 1), (1, 1), (0, 1)), tsb.pk: ((1, 3), (1, 2), (0, 1))}
    assert {row.label for row in by_customer} == {"TSA公司", "TSB工厂"}
    by_owner = aggregates.report(aggregates.OWNER, start=START, end=END)
    assert _summary(by_owner) == {owner_a.pk: ((2, 3), (2, 2), (0, 1)), owner_b.pk: ((0, 1), (0, 1), (0, 1))}
    assert [row.label for row in by_owner] == [owner_a.display_name, owner_b.display_name]


def test_by_month_uses_local_months_and_lists_every_month(known):
    rows = aggregates.report(aggregates.MONTH, start=START, end=END)
    assert [row.label for row in rows] == ["2026-03", "2026-04"]
    assert _summary(rows) == {
        date(2026, 3, 1): ((1, 2), (1, 2), (0, 2)),
        date(2026, 4, 1): ((1, 2), (1, 1), (0, 0)),
    }
    empty = aggregates.report(aggregates.MONTH, start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert [(row.label, row.csat.whole) for row in empty] == [("2026-01", 0)]


def _query(url):
    parts = urlsplit(url)
    assert parts.path == reverse("diagnosis:list")
    return QueryDict(parts.query)


def test_each_row_links_to_the_table_rows_it_counts(known):
    t1, t2, t3, _t4 = known["tickets"]
    tsa, _tsb = known["customers"]
    p1 = aggregates.report(aggregates.PRIORITY, start=START, end=END)[1]
    assert _query(p1.url).dict() == {
        "priority": "P1",
        "occurred_after": "2026-03-01",
        "occurred_before": "2026-04-30",
    }
    assert set(ticket_list(data=_query(p1.url)).qs) == {t1, t3}
    march, april = aggregates.report(aggregates.MONTH, start=START, end=END)
    assert _query(march.url).dict() == {"occurred_after": "2026-03-01", "occurred_before": "2026-03-31"}
    assert set(ticket_list(data=_query(march.url)).qs) == {t1, t2}
    assert set(ticket_list(data=_query(april.url)).qs) == {t3}
    customer_row = next(
        row for row in aggregates.report(aggregates.CUSTOMER, start=START, end=END) if row.key == tsa.pk
    )
    assert _query(customer_row.url)["customer"] == str(tsa.pk)
    assert set(ticket_list(data=_query(customer_row.url)).qs) == {t1}


def test_every_dimension_from_four_queries(known, django_assert_num_queries):
    # CSAT groups, SLA groups, customer names, owner names: the same with or without a range.
    with django_assert_num_queries(4):
        aggregates.report_all(start=START, end=END)
    with django_assert_num_queries(4):
        aggregates.report_all()


# ---------------------------------------------------------------- the page


def test_managers_see_the_report_with_links(known, manager_client):
    response = manager_client.get(REPORT_URL, {"start": "2026-03-01", "end": "2026-04-30"})
    assert response.status_code == 200
    html = response.content.decode()
    for dimension in aggregates.DIMENSIONS:
        assert f'id="report-{dimension}"' in html
        assert f'data-chart="report-{dimension}"' in html
    assert "/diagnosis/?priority=P1&amp;occurred_after=2026-03-01&amp;occurred_before=2026-04-30" in html
    assert "66.7%" in html
    sections = {section["dimension"]: section for section in response.context["sections"]}
    assert _summary(sections["priority"]["rows"]) == _summary(
        aggregates.report(aggregates.PRIORITY, start=START, end=END)
    )


def test_report_defaults_to_the_last_six_months(manager_client):
    response = manager_client.get(REPORT_URL)
    assert response.status_code == 200
    start, end = response.context["start"], response.context["end"]
    assert start.day == 1 and (end - start).days < 186
    assert len(response.context["sections"][-1]["rows"]) == 6  # one row per month


def test_report_rejects_an_inverted_range(manager_client):
    response = manager_client.get(REPORT_URL, {"start": "2026-04-30", "end": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("who", ["engineer_client", "no_role_user"])
def test_report_is_for_managers_only(request, client, who, db):
    if who == "no_role_user":
        client.force_login(request.getfixturevalue("no_role_user"))
    else:
        client = request.getfixturevalue(who)
    assert client.get(REPORT_URL).status_code == 403


def test_admins_see_the_report(admin_client_role):
    assert admin_client_role.get(REPORT_URL).status_code == 200


def test_report_query_count_does_not_grow_with_the_data(known, manager_client, django_assert_num_queries):
    params = {"start": "2026-03-01", "end": "2026-04-30"}
    manager_client.get(REPORT_URL, params)  # session and permission caches warm as in every request
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        manager_client.get(REPORT_URL, params)
    more_owners = [UserFactory(role="engineer") for _ in range(5)]
    for index in range(10):
        ticket = TicketFactory(
            owner=more_owners[index % 5],
            priority=Priority.P3,
            problem_type=ProblemType.COMPATIBILITY,
            occurred_at=at(2026, 4, 10 + index, 9, 0),
        )
        target(ticket, RESPONSE, on_time=index % 2 == 0)
        respond(ticket, 1 + index % 5, more_owners[0])
    with django_assert_num_queries(len(small)):
        response = manager_client.get(REPORT_URL, params)
    assert len(response.context["sections"][3]["rows"]) == 7  # owners: two plus five


def test_report_renders_in_english_and_chinese(known, manager_client):
    params = {"start": "2026-03-01", "end": "2026-04-30"}
    chinese = manager_client.get(REPORT_URL, params).content.decode()
    assert "P1 高" in chinese and "功能类" in chinese
    manager_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = manager_client.get(REPORT_URL, params).content.decode()
    assert "P1 High" in english and "Functional" in english
    assert "CSAT and SLA compliance by Priority" in english
