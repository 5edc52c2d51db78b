"""Similar tickets at intake (issue 14 §7): an exact or near-exact duplicate from the same customer comes
first whatever the description's length, even when many newer tickets share its words."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diagnosis.selectors import near_same_text, similar_open_tickets
from tests.factories import CustomerFactory, TicketFactory
from toolkit.choices import Stage

pytestmark = pytest.mark.django_db

# The document's example row, with the rest of what the customer said on the phone.
EXAMPLE = (
    "无法登录系统,提示“验证码错误”,影响3名用户提交订单。客户说明:从今天上午9点开始,财务部和销售部的"
    "同事在登录页面输入正确的账号密码和验证码后,页面提示验证码错误,刷新验证码后重试仍然失败,已经尝试更换"
    "浏览器(Chrome、Edge)和清除缓存,问题依旧;手机端登录正常。订单提交截止时间为今天下午5点,影响较大。"
)


@pytest.fixture
def example_duplicate():
    """TSA公司's open ticket, then 60 newer open tickets of other customers sharing its words."""
    tsa = CustomerFactory(name="TSA公司")
    old = timezone.now() - timedelta(hours=3)
    duplicate = TicketFactory(
        customer=tsa, description=EXAMPLE, error_message="验证码错误,请重试", recorded_at=old
    )
    for n in range(60):
        TicketFactory(description=f"无法登录系统,提示验证码错误,影响{n}名用户")
    return duplicate


def test_the_exact_duplicate_comes_first_with_a_long_description(example_duplicate):
    matches = similar_open_tickets(description=EXAMPLE, customer_name="TSA公司")
    assert matches[0].ticket == example_duplicate
    assert matches[0].duplicate and matches[0].same_customer
    assert not any(match.duplicate for match in matches[1:])


def test_a_near_exact_duplicate_comes_first_too(example_duplicate):
    retyped = EXAMPLE.replace("“", '"').replace("”", '"').replace(",", ", ").replace("下午5点", "下午五点")
    matches = similar_open_tickets(description=retyped, customer_name="TSA公司")
    assert matches[0].ticket == example_duplicate and matches[0].duplicate


def test_the_same_error_from_the_same_customer_is_a_duplicate_whatever_the_text(example_duplicate):
    matches = similar_open_tickets(
        description="客户再次来电,催促处理进度", error_message="验证码错误, 请重试", customer_name="TSA公司"
    )
    assert matches[0].ticket == example_duplicate and matches[0].duplicate


def test_another_customers_identical_ticket_is_similar_but_not_a_duplicate(example_duplicate):
    other = TicketFactory(description=EXAMPLE)
    matches = similar_open_tickets(description=EXAMPLE, customer_name="TSB工厂")
    assert matches[0].ticket == other
    assert not any(match.duplicate for match in matches)


def test_a_closed_duplicate_is_not_offered(example_duplicate):
    Ticket = type(example_duplicate)
    Ticket.objects.filter(pk=example_duplicate.pk).update(stage=Stage.CLOSED)
    matches = similar_open_tickets(description=EXAMPLE, customer_name="TSA公司")
    assert example_duplicate not in {match.ticket for match in matches}


def test_near_same_text():
    assert near_same_text("系统无法登录,提示验证码错误", "系统无法登录 提示 验证码错误!")
    assert near_same_text("Login FAILS with code 42", "login fails with code 42.")
    assert not near_same_text("系统无法登录", "报表导出失败")
    assert not near_same_text("", "")


def test_the_intake_list_marks_the_duplicate(engineer_client, example_duplicate):
    response = engineer_client.get(
        reverse("diagnosis:similar"), {"description": EXAMPLE, "customer_name": "TSA公司"}
    )
    html = response.content.decode()
    assert html.index("data-duplicate") < html.index(example_duplicate.number)
    assert html.count("data-duplicate") == 1


def test_the_lookup_takes_a_fixed_number_of_queries(
    engineer_client, example_duplicate, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        engineer_client.get(
            reverse("diagnosis:similar"), {"description": EXAMPLE, "customer_name": "TSA公司"}
        )
