"""A manager does not publish an article they wrote or edited: a second reviewer does."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from knowledge import services
from knowledge.models import Article, ArticleStatus
from tests.factories import UserFactory

from .factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_manager(db):
    return UserFactory(username="second-manager", role="manager")


def test_manager_cannot_publish_their_own_article(manager, second_manager):
    article = make_article(manager)
    services.article_submit(article=article, by=manager)
    with pytest.raises(ValidationError) as caught:
        services.article_publish(article=article, by=manager)
    assert caught.value.code == "own_article"
    assert Article.objects.get().status == ArticleStatus.IN_REVIEW
    published = services.article_publish(article=article, by=second_manager)
    assert (published.status, published.reviewer) == (ArticleStatus.PUBLISHED, second_manager)


def test_manager_who_edited_an_engineers_article_cannot_publish_it(engineer, manager, second_manager):
    article = make_article(engineer)
    services.article_update(article=article, by=manager, solution_steps="1. 换一种做法")
    with pytest.raises(ValidationError):
        services.article_publish(article=article, by=manager)
    assert Article.objects.get().status == ArticleStatus.DRAFT
    services.article_publish(article=article, by=second_manager)


def test_admin_cannot_publish_their_own_article_either(admin_user):
    article = make_article(admin_user)
    with pytest.raises(ValidationError):
        services.article_publish(article=article, by=admin_user)


def test_own_article_page_has_no_publish_button_and_refuses(client, manager):
    article = make_article(manager)
    client.force_login(manager)
    page = client.get(reverse("knowledge:detail", kwargs={"pk": article.pk})).content.decode()
    assert reverse("knowledge:publish", kwargs={"pk": article.pk}) not in page
    assert 'id="own-article-note"' in page
    response = client.post(reverse("knowledge:publish", kwargs={"pk": article.pk}), follow=True)
    assert "另一位经理或管理员" in response.content.decode()
    assert Article.objects.get().status == ArticleStatus.DRAFT
