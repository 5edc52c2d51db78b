"""Capture: an article pre-filled from a resolved ticket's diagnosis, solution and verification."""

import pytest
from django.urls import reverse

from evaluation.models import Verification, VerificationMethod
from knowledge.models import Article, ArticleStatus
from knowledge.selectors import capture_initial
from solutions.models import DesignStatus, SolutionDesign
from tests.factories import TicketFactory
from tests.solutions.factories import SolutionOptionFactory
from toolkit.choices import ProblemType, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(engineer, manager):
    ticket = TicketFactory(
        stage=Stage.CLOSED,
        description='无法登录系统,提示"验证码错误",影响3名用户提交订单',
        error_message="验证码错误,请重试",
        preliminary_judgement="验证码接口异常",
        problem_type=ProblemType.FUNCTIONAL,
    )
    option = SolutionOptionFactory(ticket=ticket, approach="升级验证码服务并增加缓存")
    SolutionDesign.objects.create(ticket=ticket, status=DesignStatus.APPROVED, chosen_option=option)
    Verification.objects.create(
        ticket=ticket,
        verified_by=manager,
        method=VerificationMethod.CUSTOMER,
        note="客户确认三名用户均可登录",
    )
    return ticket


def test_capture_prefills_from_diagnosis_solution_and_verification(resolved):
    initial = capture_initial(resolved)
    assert initial["title"] == '无法登录系统,提示"验证码错误",影响3名用户提交订单'
    assert initial["type"] == ProblemType.FUNCTIONAL
    assert initial["symptoms"] == resolved.description
    assert initial["error_messages"] == "验证码错误,请重试"
    assert initial["root_cause"] == "验证码接口异常"
    assert initial["solution_steps"] == "升级验证码服务并增加缓存"
    assert initial["prevention"] == "客户确认三名用户均可登录"
    assert initial["source_ticket_ids"] == [resolved.pk]


def test_capture_without_solution_or_verification_leaves_them_empty(db):
    initial = capture_initial(TicketFactory(stage=Stage.EVALUATION))
    assert initial["solution_steps"] == "" and initial["prevention"] == ""


def test_capture_page_shows_the_prefilled_form(engineer_client, resolved):
    response = engineer_client.get(reverse("knowledge:capture", args=[resolved.number]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "升级验证码服务并增加缓存" in body and "客户确认三名用户均可登录" in body
    assert f'value="{resolved.pk}"' in body


def test_capture_saves_a_draft_with_the_source_ticket(engineer_client, engineer, resolved):
    data = {**capture_initial(resolved), "tag_names": "登录, 验证码"}
    response = engineer_client.post(reverse("knowledge:capture", args=[resolved.number]), data)
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    assert article.status == ArticleStatus.DRAFT and article.author == engineer
    assert list(article.source_tickets.all()) == [resolved]


def test_capture_of_an_open_ticket_is_refused(engineer_client):
    ticket = TicketFactory(stage=Stage.DIAGNOSIS)
    response = engineer_client.get(reverse("knowledge:capture", args=[ticket.number]))
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
