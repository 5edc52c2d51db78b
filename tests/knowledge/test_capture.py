"""Capture: an article pre-filled from a resolved ticket's diagnosis, solution and verification."""

import pytest
from django.urls import reverse
from django.utils import translation

from evaluation.models import Verification, VerificationMethod
from knowledge.models import Article, ArticleStatus
from knowledge.selectors import capture_existing, capture_initial, capture_title
from solutions.models import DesignStatus, SolutionDesign
from tests.factories import TicketFactory
from tests.solutions.factories import SolutionOptionFactory
from toolkit.choices import ProblemType, Stage

from .factories import make_article

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


def test_capture_maps_each_field_to_its_place(resolved):
    """Issue 17 item 6: the verification is how the fix was checked (after the solution steps), not
    prevention; the title comes from the error text and the root cause, not the customer's sentence."""
    initial = capture_initial(resolved)
    assert initial["title"] == "验证码错误,请重试：验证码接口异常"
    assert initial["type"] == ProblemType.FUNCTIONAL
    assert initial["symptoms"] == resolved.description
    assert initial["error_messages"] == "验证码错误,请重试"
    assert initial["root_cause"] == "验证码接口异常"
    assert initial["solution_steps"] == "升级验证码服务并增加缓存\n\n修复验证：客户确认三名用户均可登录"
    assert initial["prevention"] == ""
    assert initial["source_ticket_ids"] == [resolved.pk]


def test_capture_title_in_english(resolved):
    with translation.override("en"):
        assert capture_initial(resolved)["title"] == "验证码错误,请重试: 验证码接口异常"


@pytest.mark.parametrize(
    ("description", "error", "judgement", "title"),
    [
        # No error message ("无" in the document's second row): the description's first clause.
        (
            "设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度",
            "无",
            "网络带宽不足",
            "设备数据同步延迟：网络带宽不足",
        ),
        (
            "Printer jams on page two. Happens daily.",
            "",
            "Worn roller",
            "Printer jams on page two：Worn roller",
        ),
        # The cause already in the error text is not repeated; no cause leaves the error alone.
        ("打印失败", "Error500:ConnectionTimeout", "ConnectionTimeout", "Error500:ConnectionTimeout"),
        ("打印失败", "  E-1\n第二行", "", "E-1"),
        # Nothing at all: the ticket number.
        ("", "", "", None),
        # A phone number in the text never reaches the article.
        ("请回电 13812345678,系统无法登录", "", "", "请回电 138****5678"),
    ],
)
def test_capture_title_proposals(db, description, error, judgement, title):
    ticket = TicketFactory(
        stage=Stage.CLOSED, description=description, error_message=error, preliminary_judgement=judgement
    )
    assert capture_title(ticket) == (title or ticket.number)


def test_capture_title_is_cut_to_80_characters(db):
    ticket = TicketFactory(stage=Stage.CLOSED, error_message="错" * 70, preliminary_judgement="因" * 30)
    title = capture_title(ticket)
    assert len(title) == 80 and title.endswith("…") and title.startswith("错" * 70)


def test_capture_shows_the_published_article_for_the_same_error(engineer_client, engineer, manager, resolved):
    published = make_article(
        engineer,
        title="验证码错误的处理",
        error_messages="验证码错误, 请重试\nCAPTCHA_FAIL",
        publish_by=manager,
    )
    make_article(engineer, title="草稿:验证码错误", error_messages="验证码错误,请重试")  # a draft: not shown
    make_article(engineer, title="别的错误", error_messages="Error500:ConnectionTimeout", publish_by=manager)
    existing = capture_existing(resolved)
    assert existing.same_error == [published] and existing.from_ticket == []
    body = engineer_client.get(reverse("knowledge:capture", args=[resolved.number])).content.decode()
    warning = body[body.index('id="capture-existing"') :]
    assert published.get_absolute_url() in warning and "验证码错误的处理" in warning
    assert "草稿:验证码错误" not in body and "别的错误" not in body


def test_capture_shows_articles_already_captured_from_the_ticket(engineer_client, engineer, resolved):
    draft = make_article(engineer, title="已有草稿", source_tickets=[resolved])
    assert capture_existing(resolved).from_ticket == [draft]
    body = engineer_client.get(reverse("knowledge:capture", args=[resolved.number])).content.decode()
    assert 'class="existing-from-ticket"' in body and "已有草稿" in body


def test_capture_without_an_existing_article_shows_no_warning(engineer_client, resolved):
    body = engineer_client.get(reverse("knowledge:capture", args=[resolved.number])).content.decode()
    assert 'id="capture-existing"' not in body


def test_capture_without_solution_or_verification_leaves_them_empty(db):
    initial = capture_initial(TicketFactory(stage=Stage.EVALUATION))
    assert initial["solution_steps"] == "" and initial["prevention"] == ""


def test_capture_with_a_verification_but_no_solution_keeps_the_verification(resolved):
    SolutionDesign.objects.filter(ticket=resolved).delete()
    assert capture_initial(resolved)["solution_steps"] == "修复验证：客户确认三名用户均可登录"


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
