"""The table's query-string contract: each filter alone, combined, and bad values (never a 500)."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, TicketFactory, UserFactory
from toolkit.choices import Stage


def _numbers(response):
    assert response.status_code == 200
    return {ticket.number for ticket in response.context["page"].object_list}


def _at(day, hour=10):
    return timezone.make_aware(datetime(2023, 10, day, hour, 0))


@pytest.fixture
def tickets(db):
    acme = CustomerFactory(name="TSA公司")
    plant = CustomerFactory(name="TSB工厂")
    wang = UserFactory(username="wang", job_title="数据库工程师", role="engineer")
    return {
        "a": TicketFactory(
            number="TS-20231001-0001",
            customer=acme,
            priority="P1",
            problem_type="functional",
            source="ticket_system",
            occurred_at=_at(1, 14),
            description="无法登录系统,提示“验证码错误”",
            stage=Stage.DIAGNOSIS,
        ),
        "b": TicketFactory(
            number="TS-20231001-0002",
            customer=plant,
            priority="P0",
            problem_type="functional",
            source="phone",
            occurred_at=_at(1, 16),
            description="设备数据同步延迟",
            error_message="Error500:ConnectionTimeout",
        ),
        "c": TicketFactory(
            number="TS-20231005-0001",
            customer=plant,
            priority="P2",
            problem_type="performance",
            source="email",
            occurred_at=_at(5),
            description="页面加载超10秒",
            owner=wang,
            stage=Stage.CLOSED,
        ),
        "d": TicketFactory(
            number="TS-20231009-0001",
            customer=acme,
            priority="P3",
            problem_type="compatibility",
            source="phone",
            occurred_at=_at(9, 23),
            description="在Chrome浏览器下异常,Firefox正常",
            stage=Stage.CANCELLED,
        ),
    }


def _get(client, **params):
    return client.get(reverse("diagnosis:list"), params)


def test_no_filter_lists_everything_newest_first(manager_client, tickets):
    response = _get(manager_client)
    assert _numbers(response) == {t.number for t in tickets.values()}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"priority": "P0"}, {"b"}),
        ({"priority": ["P0", "P1"]}, {"a", "b"}),
        ({"problem_type": "functional"}, {"a", "b"}),
        ({"problem_type": ["performance", "compatibility"]}, {"c", "d"}),
        ({"source": "phone"}, {"b", "d"}),
        ({"stage": "closed"}, {"c"}),
        ({"stage": "open"}, {"a", "b"}),
        ({"occurred_after": "2023-10-05"}, {"c", "d"}),
        ({"occurred_before": "2023-10-01"}, {"a", "b"}),  # the whole day counts, in Asia/Shanghai
        ({"occurred_after": "2023-10-02", "occurred_before": "2023-10-09"}, {"c", "d"}),
        ({"q": "验证码"}, {"a"}),
        ({"q": "error500"}, {"b"}),
        ({"q": "TSB工厂"}, {"b", "c"}),
        ({"q": "TS-20231009"}, {"d"}),
    ],
)
def test_each_filter_alone(manager_client, tickets, params, expected):
    assert _numbers(_get(manager_client, **params)) == {tickets[key].number for key in expected}


def test_owner_and_customer_filters(manager_client, tickets):
    owner = tickets["c"].owner
    assert _numbers(_get(manager_client, owner=owner.pk)) == {"TS-20231005-0001"}
    customer = tickets["a"].customer
    assert _numbers(_get(manager_client, customer=customer.pk)) == {"TS-20231001-0001", "TS-20231009-0001"}


def test_filters_combine(manager_client, tickets):
    response = _get(
        manager_client,
        priority=["P0", "P1", "P2"],
        problem_type="functional",
        source="phone",
        occurred_after="2023-10-01",
        occurred_before="2023-10-31",
        q="同步",
        customer=tickets["b"].customer.pk,
        stage="open",
    )
    assert _numbers(response) == {"TS-20231001-0002"}


def test_sort_orders_rows(manager_client, tickets):
    rows = [t.number for t in _get(manager_client, sort="priority").context["page"].object_list]
    assert rows[:2] == ["TS-20231001-0002", "TS-20231001-0001"]
    rows = [t.number for t in _get(manager_client, sort="occurred_at").context["page"].object_list]
    assert rows == ["TS-20231001-0001", "TS-20231001-0002", "TS-20231005-0001", "TS-20231009-0001"]


def test_pagination_keeps_filters_in_links(manager_client, settings, tickets):
    settings.DIAGNOSIS_PAGE_SIZE = 1
    response = _get(manager_client, priority=["P0", "P1"])
    assert response.context["page"].paginator.num_pages == 2
    assert "priority=P0&amp;priority=P1&amp;page=2" in response.content.decode()
    assert len(_get(manager_client, priority=["P0", "P1"], page=2).context["page"].object_list) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"priority": "P9"},
        {"problem_type": "cosmic"},
        {"source": "pigeon"},
        {"stage": "limbo"},
        {"owner": "abc"},
        {"owner": "999999"},
        {"customer": "-1"},
        {"occurred_after": "2023-13-45"},
        {"occurred_before": "yesterday"},
        {"occurred_after": "2023-10-09", "occurred_before": "2023-10-01"},
        {"sort": "password"},
        {"page": "many"},
        {"page": "99999"},
        {"q": "x" * 500},
    ],
)
def test_bad_values_give_a_message_not_a_500(manager_client, tickets, params):
    response = _get(manager_client, **params)
    assert response.status_code == 200
    if "page" not in params:
        assert response.context["filter"].errors
        assert 'id="filter-errors"' in response.content.decode()


def test_bad_value_is_reported_and_other_filters_still_apply(manager_client, tickets):
    response = _get(manager_client, priority="P0", source="pigeon")
    assert _numbers(response) == {"TS-20231001-0002"}
    assert "source" in response.context["filter"].errors


def test_text_search_needs_every_word_and_reads_the_search_documents(manager_client, tickets):
    assert _numbers(_get(manager_client, q="Chrome 异常")) == {tickets["d"].number}
    assert _numbers(_get(manager_client, q="Chrome 验证码")) == set()
    sql = str(_get(manager_client, q="浏览器").context["page"].object_list.query)
    assert "knowledge_ticket" in sql and "description" not in sql.split("WHERE", 1)[1]
