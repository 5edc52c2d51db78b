"""The demo data the lead's seed_demo adds for chapter 6."""

import pytest
from django.utils import timezone

from knowledge import demo, selectors
from knowledge.models import Article, ArticleLink, ArticleStatus
from tests.factories import TicketFactory
from toolkit.choices import Stage

pytestmark = pytest.mark.django_db


def test_seed_adds_searchable_articles_and_links(engineer, manager, admin_user):
    tickets = [TicketFactory(stage=stage) for stage in (Stage.CLOSED, Stage.EVALUATION, Stage.DIAGNOSIS)]
    demo.seed(
        tickets=tickets,
        users={"engineer": engineer, "manager": manager, "admin": admin_user},
        now=timezone.now(),
    )
    assert Article.objects.filter(status=ArticleStatus.PUBLISHED).count() == 3
    assert Article.objects.filter(status=ArticleStatus.DRAFT).count() == 1
    assert ArticleLink.objects.count() == 2  # the two resolved tickets
    assert [a.title for a in selectors.article_page(q="验证码")][0] == "登录时提示“验证码错误,请重试”"
    assert [a.title for a in selectors.article_page(q="Error500")] == ["接口返回 Error500:ConnectionTimeout"]
