"""GET /api/v1/tickets: the table's filters give the table's tickets; the cursor walks every ticket once."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, TicketFactory, UserFactory
from toolkit.choices import SlaState, Stage

pytestmark = pytest.mark.django_db


def _at(day, hour=10):
    return timezone.make_aware(datetime(2023, 10, day, hour, 0))


@pytest.fixture
def tickets(manager):
    acme = CustomerFactory(name="TSA公司")
    plant = CustomerFactory(name="TSB工厂")
    wang = UserFactory(username="wang", job_title="数据库工程师", role="engineer")
    rows = [
        dict(
            customer=acme,
            priority="P1",
            problem_type="functional",
            source="ticket_system",
            occurred_at=_at(1, 14),
            description="无法登录系统,提示“验证码错误”",
            stage=Stage.DIAGNOSIS,
        ),
        dict(
            customer=plant,
            priority="P0",
            problem_type="functional",
            source="phone",
            occurred_at=_at(1, 16),
            description="设备数据同步延迟",
            error_message="Error500:ConnectionTimeout",
            owner=manager,
            recorded_by=manager,
            sla_state=SlaState.AT_RISK,
            sla_due_at=timezone.now() + timedelta(hours=1),
        ),
        dict(
            customer=plant,
            priority="P2",
            problem_type="performance",
            source="email",
            occurred_at=_at(5),
            description="页面加载超10秒",
            owner=wang,
            stage=Stage.CLOSED,
            sla_state=SlaState.BREACHED,
        ),
        dict(
            customer=acme,
            priority="P3",
            problem_type="compatibility",
            source="phone",
            occurred_at=_at(9, 23),
            description="在Chrome浏览器下异常,Firefox正常",
            stage=Stage.CANCELLED,
        ),
    ]
    made = [TicketFactory(**row) for row in rows]
    # Same recorded_at for several: the id tiebreak decides, as in the table.
    for index in range(8):
        made.append(
            TicketFactory(
                customer=acme if index % 2 else plant, priority=f"P{index % 4}", recorded_by=wang, owner=wang
            )
        )
    return {"acme": acme, "plant": plant, "wang": wang, "tickets": made}


def _queries(tickets, manager):
    acme, wang = tickets["acme"], tickets["wang"]
    return [
        "",
        "priority=P1",
        "priority=P0&priority=P2",
        "problem_type=functional",
        "problem_type=performance&problem_type=compatibility",
        "source=phone",
        "stage=open",
        "stage=closed",
        f"owner={wang.pk}",
        "owner=me",
        f"customer={acme.pk}",
        "occurred_after=2023-10-05",
        "occurred_before=2023-10-01",
        "occurred_after=2023-10-01&occurred_before=2023-10-05",
        "q=验证码",
        "q=TSB",
        "sla=at_risk",
        "sla=breached",
        "sort=priority",
        "sort=-priority",
        "sort=customer",
        "sort=-customer",
        "sort=occurred_at",
        "sort=-occurred_at",
        "sort=recorded_at",
        "sort=number",
        "sort=-number",
        "sort=sla_due",
        "sort=-sla_due",
        f"priority=P1&customer={acme.pk}&sort=occurred_at",
    ]


def _walk(client, query, limit=3):
    numbers, cursor, pages = [], "", 0
    while True:
        separator = "&" if query else ""
        url = f"/api/v1/tickets?{query}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        body = response.json()
        numbers += [row["number"] for row in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return numbers
        assert pages < 100


def test_every_filter_gives_the_tables_tickets_in_the_tables_order(
    manager_client, manager_api, tickets, manager
):
    for query in _queries(tickets, manager):
        page = manager_client.get(f"{reverse('diagnosis:list')}?{query}")
        assert page.status_code == 200
        expected = [ticket.number for ticket in page.context["page"].object_list]
        assert _walk(manager_api, query) == expected, query


def test_cursor_walk_is_stable_while_tickets_are_added(manager_api, tickets):
    first = manager_api.get("/api/v1/tickets?limit=5").json()
    TicketFactory(customer=tickets["acme"])  # newest: would shift an offset page
    rest = _walk_from(manager_api, first["next_cursor"])
    numbers = [row["number"] for row in first["results"]] + rest
    assert len(numbers) == len(set(numbers)) == len(tickets["tickets"])


def _walk_from(client, cursor):
    numbers = []
    while cursor:
        body = client.get(f"/api/v1/tickets?limit=5&cursor={cursor}").json()
        numbers += [row["number"] for row in body["results"]]
        cursor = body["next_cursor"]
    return numbers


@pytest.mark.parametrize(
    "query",
    [
        "priority=P9",
        "sort=zzz",
        "occurred_after=yesterday",
        "occurred_before=2026-02-30",
        "owner=abc",
        "customer=x",
        "sla=zzz",
        "stage=zzz",
        "limit=0",
        "limit=abc",
        "limit=100000",
        "cursor=abc",
        "cursor=eyJzIjoiLXJlY29yZGVkX2F0IiwidiI6WzEsMl19",  # a cursor of the right sort, wrong values
        "cursor=eyJzIjoicHJpb3JpdHkiLCJ2IjpbXX0",  # written for another sort
        "occurred_after=2023-10-09&occurred_before=2023-10-01",
    ],
)
def test_bad_query_strings_are_a_clear_422(manager_api, tickets, query):
    response = manager_api.get(f"/api/v1/tickets?{query}")
    assert response.status_code == 422, (query, response.status_code, response.content)
    body = response.json()
    assert body["detail"] and body["errors"]


def test_errors_follow_accept_language(manager, tickets):
    from .conftest import api_client

    english = api_client(manager, language="en").get("/api/v1/tickets?priority=P9").json()
    chinese = api_client(manager, language="zh-hans").get("/api/v1/tickets?priority=P9").json()
    assert english["detail"] == "The request has errors."
    assert chinese["detail"] != english["detail"]
    assert (
        "P9" in chinese["errors"]["priority"][0]
        and chinese["errors"]["priority"] != english["errors"]["priority"]
    )


def test_list_queries_do_not_grow_with_the_page(manager_api, tickets, django_assert_max_num_queries):
    manager_api.get("/api/v1/tickets?limit=2")  # warm the per-process caches
    with django_assert_max_num_queries(12):
        body = manager_api.get("/api/v1/tickets?limit=12").json()
    assert len(body["results"]) == 12


def test_each_row_links_to_its_ticket_page(manager_api, tickets):
    for row in manager_api.get("/api/v1/tickets").json()["results"]:
        assert row["url"] == reverse("diagnosis:detail", kwargs={"number": row["number"]})
