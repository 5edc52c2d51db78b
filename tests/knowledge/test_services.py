"""Article workflow, versions, votes, links and the ticket panel."""

import pytest
from django.core.exceptions import ValidationError

from knowledge import selectors, services
from knowledge.models import ArticleLink, ArticleStatus, ArticleVersion
from tests.factories import TicketFactory
from tests.knowledge.factories import make_article
from toolkit.choices import Stage

pytestmark = pytest.mark.django_db


def test_create_saves_a_draft_with_version_one(engineer):
    article = make_article(engineer, tags=["登录", "验证码"])
    assert article.status == ArticleStatus.DRAFT
    assert article.version == 1
    version = ArticleVersion.objects.get(article=article)
    assert version.number == 1 and version.title == "无法登录系统"
    assert version.content["symptoms"] == "用户反映无法登录"
    assert sorted(article.tags.values_list("name", flat=True)) == ["登录", "验证码"]


def test_update_saves_a_version_only_when_content_changes(engineer):
    article = make_article(engineer)
    services.article_update(article=article, by=engineer, title="无法登录系统", tag_names=[])
    assert ArticleVersion.objects.filter(article=article).count() == 1
    article = services.article_update(article=article, by=engineer, root_cause="验证码接口超时")
    assert article.version == 2
    assert ArticleVersion.objects.get(article=article, number=2).content["root_cause"] == "验证码接口超时"
    services.article_update(article=article, by=engineer, tag_names=["新标签"])
    assert ArticleVersion.objects.filter(article=article).count() == 3


def test_publish_workflow(engineer, manager):
    article = make_article(engineer)
    article = services.article_submit(article=article, by=engineer)
    assert article.status == ArticleStatus.IN_REVIEW
    with pytest.raises(ValidationError):
        services.article_publish(article=article, by=engineer)
    article = services.article_return(article=article, by=manager)
    assert article.status == ArticleStatus.DRAFT
    services.article_submit(article=article, by=engineer)
    article = services.article_publish(article=article, by=manager)
    assert article.status == ArticleStatus.PUBLISHED
    assert article.reviewer == manager and article.published_at is not None
    with pytest.raises(ValidationError):
        services.article_submit(article=article, by=engineer)
    article = services.article_archive(article=article, by=manager)
    assert article.status == ArticleStatus.ARCHIVED
    with pytest.raises(ValidationError):
        services.article_archive(article=article, by=manager)


def test_engineers_edit_drafts_but_not_published_articles(engineer, manager):
    article = make_article(engineer, publish_by=manager)
    assert not services.user_can_edit(engineer, article)
    with pytest.raises(ValidationError):
        services.article_update(article=article, by=engineer, title="改")
    assert services.article_update(article=article, by=manager, title="改").title == "改"


def test_helped_vote_counts_once_per_user(engineer, manager):
    article = make_article(engineer, publish_by=manager)
    assert services.article_vote_helped(article=article, by=engineer) is True
    assert services.article_vote_helped(article=article, by=engineer) is False
    assert services.article_vote_helped(article=article, by=manager) is True
    article.refresh_from_db()
    assert article.helped_count == 2


def test_drafts_cannot_be_voted_on_or_linked(engineer):
    article = make_article(engineer)
    with pytest.raises(ValidationError):
        services.article_vote_helped(article=article, by=engineer)
    with pytest.raises(ValidationError):
        services.article_link(article=article, ticket=TicketFactory(), by=engineer)


def test_link_records_the_reuse_once(engineer, manager):
    article = make_article(engineer, publish_by=manager)
    ticket = TicketFactory()
    first = services.article_link(article=article, ticket=ticket, by=engineer)
    again = services.article_link(article=article, ticket=ticket, by=manager)
    assert first.pk == again.pk and again.linked_by == engineer
    assert ArticleLink.objects.count() == 1


@pytest.mark.parametrize("raw", [None, "", "abc", "999999"])
def test_link_chosen_at_intake_ignores_bad_values(engineer, raw):
    assert services.article_link_chosen_at_intake(article_id=raw, ticket=TicketFactory(), by=engineer) is None


def test_link_chosen_at_intake(engineer, manager):
    article = make_article(engineer, publish_by=manager)
    ticket = TicketFactory()
    link = services.article_link_chosen_at_intake(article_id=str(article.pk), ticket=ticket, by=engineer)
    assert (link.article, link.ticket, link.linked_by) == (article, ticket, engineer)


def test_deleting_an_article_never_deletes_tickets(engineer, manager):
    article = make_article(engineer, publish_by=manager)
    ticket = TicketFactory()
    article.source_tickets.add(ticket)
    services.article_link(article=article, ticket=ticket, by=engineer)
    article.delete()
    ticket.refresh_from_db()


@pytest.mark.parametrize("links", [1, 6])
def test_panel_takes_two_queries(engineer, manager, links, django_assert_num_queries):
    ticket = TicketFactory(stage=Stage.CLOSED)
    for index in range(links):
        services.article_link(
            article=make_article(engineer, title=f"文章{index}", publish_by=manager),
            ticket=ticket,
            by=engineer,
        )
    with django_assert_num_queries(2):
        panel = selectors.knowledge_panel(ticket)
        [(link.article.title, link.linked_by.display_name) for link in panel.links]
    assert len(panel.links) == links and panel.can_capture


def test_panel_offers_capture_only_when_resolved(db):
    assert not selectors.knowledge_panel(TicketFactory(stage=Stage.DIAGNOSIS)).can_capture
    assert selectors.knowledge_panel(TicketFactory(stage=Stage.EVALUATION)).can_capture


def test_link_chosen_at_intake_needs_the_link_permission(engineer, manager, no_role_user):
    article = make_article(engineer, publish_by=manager)
    assert (
        services.article_link_chosen_at_intake(article_id=article.pk, ticket=TicketFactory(), by=no_role_user)
        is None
    )
