"""The demo data seed_demo adds for chapter 6: one article per problem scenario, linked to its tickets."""

import pytest
from django.utils import timezone

from demo.scenarios import SCENARIOS, scenario_named
from knowledge import demo, selectors
from knowledge.models import Article, ArticleLink, ArticleStatus
from tests.factories import TicketFactory
from toolkit.choices import Stage

pytestmark = pytest.mark.django_db


def test_seed_adds_each_scenarios_article_searchable_and_linked(engineer, manager, admin_user):
    # One resolved ticket per scenario (each its article's source), a second login ticket (a reuse
    # link) and one still in diagnosis (not resolved: neither source nor link).
    tickets = [TicketFactory(stage=Stage.CLOSED) for _ in SCENARIOS]
    scenarios = dict(zip([ticket.pk for ticket in tickets], SCENARIOS, strict=True))
    reused = TicketFactory(stage=Stage.EVALUATION)
    open_ticket = TicketFactory(stage=Stage.DIAGNOSIS)
    scenarios[reused.pk] = scenarios[open_ticket.pk] = scenario_named("login_captcha")
    users = {"engineer": engineer, "manager": manager, "admin": admin_user}

    demo.seed(tickets=[*tickets, reused, open_ticket], users=users, now=timezone.now(), scenarios=scenarios)

    drafts = [scenario for scenario in SCENARIOS if not scenario.article.published]
    assert (
        Article.objects.filter(status=ArticleStatus.PUBLISHED).count() == len(SCENARIOS) - len(drafts) == 10
    )
    assert Article.objects.filter(status=ArticleStatus.DRAFT).count() == len(drafts) == 1
    for ticket in tickets:
        article = Article.objects.get(title=scenarios[ticket.pk].article.title)
        assert list(article.source_tickets.all()) == [ticket]
        assert article.type == scenarios[ticket.pk].problem_type
    [link] = ArticleLink.objects.select_related("article")
    assert (link.ticket, link.article.title) == (reused, "登录时提示“验证码错误,请重试”")
    assert [a.title for a in selectors.article_page(q="验证码")][0] == "登录时提示“验证码错误,请重试”"
    assert [a.title for a in selectors.article_page(q="Error500")] == ["接口返回 Error500:ConnectionTimeout"]
    assert [a.title for a in selectors.article_page(q="打印")][0] == "打印机无响应或报错 0x0000011b"

    demo.seed(tickets=[*tickets, reused], users=users, now=timezone.now(), scenarios=scenarios)
    assert Article.objects.count() == len(SCENARIOS)  # once
