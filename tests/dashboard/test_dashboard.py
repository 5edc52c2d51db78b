"""The managers' dashboard at /: numbers on a known data set, every number's link selects exactly the
tickets it counts, constant query count, permissions, both languages."""

import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard.selectors import dashboard_summary
from diagnosis.selectors import ticket_list
from evaluation.models import Survey, SurveyResponse
from tests.factories import CustomerFactory, TicketFactory, UserFactory
from toolkit.choices import Priority, ProblemType, SlaState, Stage

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
HOME = reverse("home")


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def respond(ticket, overall, by):
    survey = Survey.objects.create(ticket=ticket, token_hash=secrets.token_hex(32), created_by=by)
    scores = dict.fromkeys(("response_speed", "effectiveness", "attitude", "communication"), 3)
    return SurveyResponse.objects.create(survey=survey, ticket=ticket, overall=overall, **scores)


def ticket(*, priority, kind, stage, sla, owner, customer, occurred):
    return TicketFactory(
        priority=priority,
        suggested_priority=priority,
        problem_type=kind,
        stage=stage,
        sla_state=sla,
        owner=owner,
        recorded_by=owner,
        customer=customer,
        occurred_at=occurred,
        recorded_at=occurred + timedelta(minutes=5),
    )


@pytest.fixture
def known(frozen, db):
    """Three open tickets and three others, spread over December 2025 – June 2026."""
    owner_a = UserFactory(username="owner_a", first_name="甲", job_title="技术工程师", role="engineer")
    owner_b = UserFactory(username="owner_b", first_name="乙", job_title="网络工程师", role="engineer")
    tsa, tsb = CustomerFactory(name="TSA公司"), CustomerFactory(name="TSB工厂")
    P, T, S = Priority, ProblemType, SlaState
    tickets = {
        "a": ticket(
            priority=P.P0,
            kind=T.FUNCTIONAL,
            stage=Stage.DIAGNOSIS,
            sla=S.BREACHED,
            owner=owner_a,
            customer=tsa,
            occurred=at(2026, 6, 10, 9, 0),
        ),
        "b": ticket(
            priority=P.P1,
            kind=T.PERFORMANCE,
            stage=Stage.NEW,
            sla=S.AT_RISK,
            owner=owner_a,
            customer=tsb,
            occurred=at(2026, 6, 1, 0, 10),  # 2026-05-31 16:10 UTC: June in Shanghai
        ),
        "c": ticket(
            priority=P.P1,
            kind=T.FUNCTIONAL,
            stage=Stage.ON_HOLD,
            sla=S.OK,
            owner=owner_b,
            customer=tsa,
            occurred=at(2026, 5, 10, 14, 0),
        ),
        "d": ticket(
            priority=P.P2,
            kind=T.ENVIRONMENT,
            stage=Stage.CLOSED,
            sla=S.BREACHED,
            owner=owner_b,
            customer=tsa,
            occurred=at(2026, 4, 20, 11, 0),
        ),
        "e": ticket(
            priority=P.P3,
            kind=T.FUNCTIONAL,
            stage=Stage.CANCELLED,
            sla=S.OK,
            owner=owner_a,
            customer=tsb,
            occurred=at(2025, 12, 1, 11, 0),
        ),
        "f": ticket(
            priority=P.P1,
            kind=T.FUNCTIONAL,
            stage=Stage.CLOSED,
            sla=S.OK,
            owner=owner_a,
            customer=tsa,
            occurred=at(2026, 2, 1, 11, 0),
        ),
    }
    respond(tickets["d"], 5, owner_b)
    respond(tickets["f"], 2, owner_a)
    return {"owners": (owner_a, owner_b), "customers": (tsa, tsb), **tickets}


def _cells(chart):
    return {category.label: [cell.value for cell in category.cells] for category in chart.categories}


def test_open_work_and_sla_figures(known):
    board = dashboard_summary()
    assert (board.open_total, board.at_risk, board.breached) == (3, 1, 1)
    assert _cells(board.charts["open_priority"]) == {
        str(Priority.P0.label): [1],
        str(Priority.P1.label): [2],
        str(Priority.P2.label): [0],
        str(Priority.P3.label): [0],
    }
    assert _cells(board.charts["open_type"]) == {
        str(ProblemType.FUNCTIONAL.label): [2],
        str(ProblemType.PERFORMANCE.label): [1],
        str(ProblemType.COMPATIBILITY.label): [0],
        str(ProblemType.ENVIRONMENT.label): [0],
    }
    owner_a, owner_b = known["owners"]
    # P0, P1, P2, P3, total; busiest first.
    assert _cells(board.charts["workload"]) == {
        owner_a.display_name: [1, 1, 0, 0, 2],
        owner_b.display_name: [0, 1, 0, 0, 1],
    }
    assert [c.label for c in board.charts["workload"].categories] == [
        owner_a.display_name,
        owner_b.display_name,
    ]


def test_trends_over_the_last_six_months(known):
    board = dashboard_summary()
    # Breach rate, breached, tickets per month the problem occurred (December 2025 is outside).
    assert _cells(board.charts["breach_trend"]) == {
        "2026-01": [None, 0, 0],
        "2026-02": [0.0, 0, 1],
        "2026-03": [None, 0, 0],
        "2026-04": [100.0, 1, 1],
        "2026-05": [0.0, 0, 1],
        "2026-06": [50.0, 1, 2],
    }
    assert _cells(board.charts["csat_trend"])["2026-04"] == [100.0, 1, 5.0]
    assert _cells(board.charts["csat_trend"])["2026-02"] == [0.0, 1, 2.0]
    assert _cells(board.charts["csat_trend"])["2026-05"] == [None, 0, None]


def test_top_types_and_customers_of_the_last_90_days(known):
    board = dashboard_summary()
    assert board.top_since == date(2026, 3, 18)
    # Most first; a tie in the types' own order.
    assert [(c.label, c.cells[0].value) for c in board.charts["top_types"].categories] == [
        (str(ProblemType.FUNCTIONAL.label), 2),
        (str(ProblemType.PERFORMANCE.label), 1),
        (str(ProblemType.ENVIRONMENT.label), 1),
    ]
    assert [(c.label, c.cells[0].value) for c in board.charts["top_customers"].categories] == [
        ("TSA公司", 3),
        ("TSB工厂", 1),
    ]


def _query(url):
    parts = urlsplit(url)
    assert parts.path == reverse("diagnosis:list")
    return QueryDict(parts.query)


def test_every_count_links_to_exactly_the_tickets_it_counts(known):
    board = dashboard_summary()
    for number, url in [
        (board.open_total, board.open_url),
        (board.at_risk, board.at_risk_url),
        (board.breached, board.breached_url),
    ]:
        assert ticket_list(data=_query(url)).qs.count() == number, url
    checked = 0
    for name, chart in board.charts.items():
        for category in chart.categories:
            for cell in category.cells:
                # Counts (whole numbers) link to their rows; a rate links to its numerator's rows.
                if cell.url and isinstance(cell.value, int):
                    assert ticket_list(data=_query(cell.url)).qs.count() == cell.value, (name, category.label)
                    checked += 1
    assert checked > 30


def test_links_carry_the_tables_query_strings(known):
    board = dashboard_summary()
    assert _query(board.at_risk_url).dict() == {"stage": "open", "sla": "at_risk"}
    assert _query(board.breached_url).dict() == {"stage": "open", "sla": "breached"}
    p1 = board.charts["open_priority"].categories[1]
    assert _query(p1.cells[0].url).dict() == {"stage": "open", "priority": "P1"}
    owner_a = known["owners"][0]
    assert _query(board.charts["workload"].categories[0].url).dict() == {
        "stage": "open",
        "owner": str(owner_a.pk),
    }
    april = next(c for c in board.charts["breach_trend"].categories if c.label == "2026-04")
    assert _query(april.cells[0].url).dict() == {
        "sla": "breached",
        "occurred_after": "2026-04-01",
        "occurred_before": "2026-04-30",
    }
    june = next(c for c in board.charts["breach_trend"].categories if c.label == "2026-06")
    assert _query(june.cells[2].url)["occurred_before"] == "2026-06-15"  # today, not the month's end
    tsa = known["customers"][0]
    assert _query(board.charts["top_customers"].categories[0].url).dict() == {
        "customer": str(tsa.pk),
        "occurred_after": "2026-03-18",
    }


def test_page_shows_the_numbers_with_links(known, manager_client):
    response = manager_client.get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/diagnosis/?stage=open&amp;sla=breached"' in html
    assert 'href="/diagnosis/?stage=open&amp;priority=P0"' in html
    for slug in (
        "open-priority",
        "open-type",
        "workload",
        "breach-trend",
        "csat-trend",
        "top-types",
        "top-customers",
    ):
        assert f'data-chart="{slug}"' in html
        assert f'id="numbers-{slug}"' in html
    assert 'role="img"' in html and "<title id=" in html
    assert 'id="reports-link"' in html  # managers may open the report


def test_engineers_see_the_dashboard_without_the_report_link(known, engineer_client):
    # Their home ("/") is My work (tests/mywork); the dashboard is a menu item away.
    response = engineer_client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert 'id="reports-link"' not in response.content.decode()


def test_users_without_a_role_are_refused(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(HOME).status_code == 403


def test_anonymous_users_go_to_the_login_page(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def _more_data(count, owners, customers):
    for index in range(count):
        t = ticket(
            priority=list(Priority)[index % 4],
            kind=list(ProblemType)[index % 4],
            stage=[Stage.NEW, Stage.DIAGNOSIS, Stage.CLOSED][index % 3],
            sla=[SlaState.OK, SlaState.AT_RISK, SlaState.BREACHED][index % 3],
            owner=owners[index % len(owners)],
            customer=customers[index % len(customers)],
            occurred=NOW - timedelta(days=7 * index + 1),
        )
        respond(t, 1 + index % 5, owners[0])


def test_query_count_does_not_grow_with_the_data(frozen, manager_client, django_assert_num_queries):
    owners = [UserFactory(role="engineer")]
    customers = [CustomerFactory()]
    _more_data(1, owners, customers)
    manager_client.get(HOME)  # warm: the same per-request queries as any page
    with CaptureQueriesContext(connection) as small:
        manager_client.get(HOME)
    owners += [UserFactory(role="engineer") for _ in range(6)]
    customers += [CustomerFactory() for _ in range(8)]
    _more_data(24, owners, customers)
    with django_assert_num_queries(len(small)):
        response = manager_client.get(HOME)
    assert response.context["board"].open_total == 17


def test_dashboard_selectors_run_a_fixed_number_of_queries(known, django_assert_num_queries):
    # open work; months (breach trend, closed tickets); last 90 days; top customers' names; CSAT;
    # closed tickets with an article; article links
    with django_assert_num_queries(7):
        dashboard_summary()


def test_renders_in_chinese_and_english(known, manager_client):
    chinese = manager_client.get(HOME).content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert "P0 紧急" in chinese and "功能类" in chinese and "责任人" in chinese
    manager_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = manager_client.get(HOME).content.decode()
    assert '<html lang="en">' in english
    assert (
        "P0 Critical" in english and "Open tickets by priority" in english and "Workload by owner" in english
    )


def test_knowledge_reuse_by_month(known):
    from knowledge.models import Article, ArticleLink

    owner_a = known["owners"][0]
    article = Article.objects.create(
        title="验证码接口异常处理",
        type=ProblemType.FUNCTIONAL,
        symptoms="验证码错误",
        solution_steps="1. 重启",
        author=owner_a,
    )
    ArticleLink.objects.create(
        article=article, ticket=known["d"], linked_by=owner_a, linked_at=at(2026, 4, 21, 9, 0)
    )
    ArticleLink.objects.create(
        article=article, ticket=known["f"], linked_by=owner_a, linked_at=at(2026, 6, 1, 0, 5)
    )
    ArticleLink.objects.create(
        article=article, ticket=known["a"], linked_by=owner_a, linked_at=at(2026, 6, 11, 9, 0)
    )
    cells = _cells(dashboard_summary().charts["knowledge"])
    # Share of closed tickets with an article, with an article, closed tickets, links made in the month.
    assert cells["2026-02"] == [100.0, 1, 1, 0]
    assert cells["2026-04"] == [100.0, 1, 1, 1]
    assert cells["2026-05"] == [None, 0, 0, 0]
    assert cells["2026-06"] == [None, 0, 0, 2]  # a and b are open: not counted as resolved


def test_an_empty_desk_shows_empty_charts_not_errors(frozen, engineer_client):
    response = engineer_client.get(reverse("dashboard"))
    assert response.status_code == 200
    board = response.context["board"]
    assert (board.open_total, board.at_risk, board.breached) == (0, 0, 0)
    html = response.content.decode()
    assert 'class="text-muted small mb-0 chart-empty"' in html
    assert 'data-chart="open-priority"' not in html  # nothing to draw: the "no data" line instead
