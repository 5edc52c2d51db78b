"""Intake in 30 seconds (issue 14 §5): the defaults (now, the remembered source, routing or me), the
customer picker by name or pinyin, the suggestions from the text, the customer's usual contact."""

import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from diagnosis.forms import IntakeForm
from diagnosis.models import CustomerSearchKey, IntakePreference
from diagnosis.pinyin import search_keys
from diagnosis.services import customer_search, intake_contacts, suggest_impact, suggest_problem_type
from tests.factories import ContactFactory, CustomerFactory, TicketFactory, UserFactory
from toolkit import chapters
from toolkit.choices import ImpactScope, ProblemType, Source
from toolkit.models import Customer, Ticket

pytestmark = pytest.mark.django_db

TEAMS = apps.is_installed("teams")


def _data(**overrides):
    """The document's first row as an engineer types it today: owner left to routing, time defaulted."""
    data = {
        "customer_name": "TSA公司",
        "customer_tier": "standard",
        "contact_name": "*女士",
        "contact_details": "1385678",
        "source": "ticket_system",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "description": "无法登录系统,提示“验证码错误”,影响3名用户提交订单",
        "error_message": "“验证码错误,请重试”",
        "problem_type": "",
        "impact_scope": "some_users",
        "users_affected": "3",
        "frequency": "persistent",
        "business_urgency": "high",
        "priority": "",
        "preliminary_judgement": "验证码接口异常",
        "owner": "",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- pinyin keys and the picker


def test_search_keys_of_chinese_latin_and_full_width_names():
    assert search_keys("北京银行") == ("北京银行", "bjyh", "beijingyinhang")
    assert search_keys("重庆银行")[1:] == ("cqyh", "chongqingyinhang")  # 重 read as chong in 重庆
    assert search_keys("ＴＳＡ 公司") == ("tsa公司", "tsags", "tsagongsi")
    assert search_keys("") == ("", "", "")


def test_keys_follow_the_customer_through_the_signal():
    customer = CustomerFactory(name="北京银行")
    assert CustomerSearchKey.objects.get(customer=customer).initials == "bjyh"
    customer.name = "阿里巴巴"
    customer.save()
    key = CustomerSearchKey.objects.get(customer=customer)
    assert (key.name, key.initials, key.pinyin) == ("阿里巴巴", "albb", "alibaba")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("bjyh", ["北京银行"]),
        ("BJ", ["北京银行", "北京建工"]),
        ("ali", ["阿里巴巴"]),
        ("beijingy", ["北京银行"]),
        ("北京", ["北京建工", "北京银行"]),
        ("银行", ["北京银行"]),  # inside the name: the fallback after the indexed prefixes
        ("tsa", ["TSA公司"]),
        ("zzz", []),
        ("  ", []),
    ],
)
def test_customer_search_by_name_initials_or_pinyin(typed, expected):
    for name in ("北京银行", "北京建工", "阿里巴巴", "TSA公司"):
        CustomerFactory(name=name)
    assert sorted(c.name for c in customer_search(typed)) == sorted(expected)


def test_customer_search_puts_name_matches_first_and_leaves_out_the_unmatched_senders():
    CustomerFactory(name="阿里巴巴")
    CustomerFactory(name="Ali Express")
    Customer.objects.create(name="ali-unmatched", unmatched=True)
    assert [c.name for c in customer_search("ali")] == ["Ali Express", "阿里巴巴"]


def test_customer_search_endpoint_answers_json_in_a_fixed_number_of_queries(
    engineer_client, django_assert_max_num_queries
):
    for index in range(30):
        CustomerFactory(name=f"北京分行{index:02d}")
    with django_assert_max_num_queries(6):  # session, user, permissions, the search (one query)
        response = engineer_client.get(reverse("diagnosis:customer_search"), {"q": "bjfh"})
    assert response.status_code == 200
    results = json.loads(response.content)["results"]
    assert len(results) == 8
    assert results[0] == {"name": "北京分行00", "tier": "普通客户", "vip": False}


def test_customer_search_needs_the_intake_permission(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(reverse("diagnosis:customer_search"), {"q": "a"}).status_code == 403


# ---------------------------------------------------------------- suggestions from the text


@pytest.mark.parametrize(
    ("description", "error", "expected"),
    [
        ("无法登录系统,提示“验证码错误”,影响3名用户提交订单", "“验证码错误,请重试”", ProblemType.FUNCTIONAL),
        ("页面加载很慢,经常超时", "", ProblemType.PERFORMANCE),
        ("The report page is slow", "Gateway timeout", ProblemType.PERFORMANCE),
        ("在Chrome浏览器下异常,Firefox正常", "", ProblemType.COMPATIBILITY),
        ("Only broken in IE and Safari", "", ProblemType.COMPATIBILITY),
        ("数据库连接中断", "", ProblemType.ENVIRONMENT),
        ("DNS does not resolve, the certificate expired", "", ProblemType.ENVIRONMENT),
        ("服务器磁盘满了", "", ProblemType.ENVIRONMENT),
        # English words match whole: "field" is not IE, "variety" not a version.
        ("The field shows a variety of wrong totals", "", ProblemType.FUNCTIONAL),
    ],
)
def test_problem_type_suggested_from_the_text(description, error, expected):
    assert suggest_problem_type(description=description, error_message=error) == expected


@pytest.mark.parametrize(
    ("description", "scope", "count"),
    [
        ("无法登录系统,影响3名用户提交订单", ImpactScope.SOME_USERS, 3),
        ("仅单个用户受影响", ImpactScope.ONE_USER, 1),
        ("全部门无法使用", ImpactScope.DEPARTMENT, None),
        ("所有用户都打不开", ImpactScope.EVERYONE, None),
        ("12 users cannot log in", ImpactScope.SOME_USERS, 12),
    ],
)
def test_impact_suggested_from_the_description(description, scope, count):
    suggestion = suggest_impact(description=description)
    assert (suggestion.impact_scope, suggestion.users_affected) == (scope, count)


def test_no_impact_suggestion_without_a_clue():
    assert suggest_impact(description="报表格式错乱") is None


def test_the_assist_fragment_carries_the_suggestions(engineer_client):
    response = engineer_client.get(
        reverse("diagnosis:intake_assist"),
        {"description": "页面加载很慢,影响3名用户", "customer_name": "TSA公司", "source": "phone"},
    )
    body = response.content.decode()
    assert 'data-problem-type="performance"' in body
    assert 'data-impact-scope="some_users"' in body and 'data-users-affected="3"' in body


# ---------------------------------------------------------------- defaults and saving


def test_the_form_opens_with_now_and_the_source_used_last(engineer_client, engineer):
    form = engineer_client.get(reverse("diagnosis:new")).context["form"]
    now = timezone.localtime().replace(second=0, microsecond=0)
    assert abs(form.initial["occurred_at"] - now) <= timedelta(minutes=1)
    assert form.initial["occurred_at"].second == 0
    assert form.initial["source"] == Source.PHONE  # before the first intake: a phone call
    assert form["owner"].value() in (None, "")  # Auto (routing)

    response = engineer_client.post(reverse("diagnosis:new"), _data(source="ticket_system"))
    assert response.status_code == 302, response.context["form"].errors
    assert IntakePreference.objects.get(user=engineer).source == Source.TICKET_SYSTEM
    form = engineer_client.get(reverse("diagnosis:new")).context["form"]
    assert form.initial["source"] == Source.TICKET_SYSTEM


def test_the_source_is_remembered_per_person(engineer_client, engineer):
    IntakePreference.objects.create(user=UserFactory(role="engineer"), source=Source.EMAIL)
    form = engineer_client.get(reverse("diagnosis:new")).context["form"]
    assert form.initial["source"] == Source.PHONE


def test_an_untouched_type_is_the_suggested_one_and_a_chosen_one_stays(engineer_client):
    engineer_client.post(reverse("diagnosis:new"), _data(description="页面加载超过10秒,很慢"))
    assert Ticket.objects.get().problem_type == ProblemType.PERFORMANCE
    engineer_client.post(
        reverse("diagnosis:new"), _data(description="页面加载超过10秒,很慢", problem_type="functional")
    )
    assert Ticket.objects.latest("pk").problem_type == ProblemType.FUNCTIONAL


def test_occurred_at_is_still_checked_against_the_future(engineer_client):
    future = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = engineer_client.post(reverse("diagnosis:new"), _data(occurred_at=future))
    assert response.status_code == 200
    assert "发生时间不能晚于当前时间" in response.content.decode()
    assert not Ticket.objects.exists()


def test_without_routing_the_owner_is_the_person_logging(engineer_client, engineer):
    removed = chapters.unregister("teams")
    try:
        response = engineer_client.post(reverse("diagnosis:new"), _data())
        preview = engineer_client.get(reverse("diagnosis:intake_assist"), _data()).content.decode()
    finally:
        if removed is not None:
            chapters.register(removed)
    assert response.status_code == 302
    assert Ticket.objects.get().owner == engineer
    assert "→ 你" in preview or "→ you" in preview


def test_an_explicit_owner_is_kept(engineer_client, manager):
    engineer_client.post(reverse("diagnosis:new"), _data(owner=manager.pk))
    assert Ticket.objects.get().owner == manager


def test_the_api_can_validate_without_a_user():
    form = IntakeForm(data=_data(owner=""))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["owner"] is None
    assert form.cleaned_data["problem_type"] == ProblemType.FUNCTIONAL


@pytest.mark.skipif(not TEAMS, reason="the teams app provides the routing")
def test_routing_picks_the_owner_and_records_the_team(engineer_client, engineer):
    from teams.models import Membership, RoutingRule, Team, TicketTeam

    dba = UserFactory(username="dba_wang", first_name="王", job_title="数据库工程师", role="engineer")
    team = Team.objects.create(name="数据库组")
    Membership.objects.create(team=team, user=dba)
    RoutingRule.objects.create(team=team, order=1, keywords="数据库")

    preview = engineer_client.get(
        reverse("diagnosis:intake_assist"), _data(description="数据库连接中断")
    ).content.decode()
    assert "数据库组" in preview and dba.display_name in preview

    engineer_client.post(reverse("diagnosis:new"), _data(description="数据库连接中断"))
    ticket = Ticket.objects.get()
    assert ticket.owner == dba
    assert TicketTeam.objects.get(ticket=ticket).team == team

    # No rule matches: the person logging it.
    engineer_client.post(reverse("diagnosis:new"), _data())
    assert Ticket.objects.latest("pk").owner == engineer


# ---------------------------------------------------------------- the customer's usual contact


def test_contacts_latest_caller_first_with_details_for_those_who_see_them(manager):
    customer = CustomerFactory(name="TSA公司")
    earlier = ContactFactory(customer=customer, name="王女士", details="13800000001")
    latest = ContactFactory(customer=customer, name="*女士", details="1385678")
    TicketFactory(customer=customer, contact=earlier, recorded_at=timezone.now() - timedelta(days=3))
    TicketFactory(customer=customer, contact=latest, recorded_at=timezone.now() - timedelta(hours=1))
    contacts = list(intake_contacts(customer_name="TSA公司", user=manager))
    assert [(c.name, c.details_shown) for c in contacts] == [("*女士", "1385678"), ("王女士", "13800000001")]


def test_an_engineer_is_offered_only_the_contacts_of_their_own_tickets(engineer_client, engineer):
    customer = CustomerFactory(name="TSA公司")
    own = ContactFactory(customer=customer, name="*女士", details="1385678")
    other = ContactFactory(customer=customer, name="王女士", details="13800000001")
    TicketFactory(customer=customer, contact=own, recorded_by=engineer, contact_details="1385678")
    TicketFactory(customer=customer, contact=other)
    url = reverse("diagnosis:contact_names")
    body = engineer_client.get(url, {"customer_name": "TSA公司"}).content.decode()
    assert 'value="*女士" data-details="1385678"' in body
    assert "王女士" not in body and "13800000001" not in body


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("customers", [1, 20])
def test_intake_page_and_helpers_do_not_grow_with_customers_or_contacts(
    engineer_client, engineer, customers, django_assert_max_num_queries
):
    for index in range(customers):
        customer = CustomerFactory(name=f"TSA{index:02d}公司")
        contact = ContactFactory(customer=customer, name=f"*女士{index}")
        TicketFactory(customer=customer, contact=contact, recorded_by=engineer)
        ContactFactory(customer=CustomerFactory(name="TSA00公司"), name=f"王先生{index}")
    with django_assert_max_num_queries(14):
        assert engineer_client.get(reverse("diagnosis:new")).status_code == 200
    with django_assert_max_num_queries(8):
        engineer_client.get(reverse("diagnosis:intake_assist"), _data(customer_name="TSA00公司"))
    with django_assert_max_num_queries(6):
        engineer_client.get(reverse("diagnosis:contact_names"), {"customer_name": "TSA00公司"})
    with django_assert_max_num_queries(6):
        engineer_client.get(reverse("diagnosis:customer_search"), {"q": "tsa"})


def test_only_those_who_may_log_tickets_can_use_the_intake_service(no_role_user):
    from django.core.exceptions import PermissionDenied

    from diagnosis.services import intake_create

    form = IntakeForm(data=_data())
    assert form.is_valid(), form.errors
    with pytest.raises(PermissionDenied):
        intake_create(user=no_role_user, data=form.cleaned_data)
    assert not Ticket.objects.exists() and not Customer.objects.exists()
