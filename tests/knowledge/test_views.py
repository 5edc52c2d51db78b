"""Pages of the knowledge base: permissions, search, filters, workflow, votes, suggestions, links."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge import services
from knowledge.models import Article, ArticleLink, ArticleStatus, ArticleVersion
from tests.factories import TicketFactory
from tests.knowledge.factories import make_article
from toolkit.choices import ProblemType, Stage

pytestmark = pytest.mark.django_db
LIST = reverse("knowledge:list")


def detail(article):
    return reverse("knowledge:detail", args=[article.pk])


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("get", reverse("knowledge:new")),
        ("get", reverse("knowledge:suggest")),
        ("post", reverse("knowledge:link", args=["TS-1"])),
    ],
)
def test_users_without_a_role_are_refused(client, no_role_user, method, url):
    client.force_login(no_role_user)
    assert getattr(client, method)(url).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_searches_and_highlights(engineer_client, engineer, manager):
    make_article(engineer, title="登录失败", symptoms="提示验证码错误", publish_by=manager)
    make_article(engineer, title="打印机卡纸", publish_by=manager)
    response = engineer_client.get(LIST, {"q": "验证码"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<mark>验证码</mark>" in body and "打印机卡纸" not in body


def test_list_htmx_returns_the_results_fragment(engineer_client, engineer, manager):
    make_article(engineer, title="登录失败", publish_by=manager)
    response = engineer_client.get(LIST, {"q": "登录"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and "<mark>登录</mark>失败" in body


def test_list_filters_by_type_and_tag(engineer_client, engineer, manager):
    make_article(engineer, title="慢查询", type=ProblemType.PERFORMANCE, tags=["数据库"], publish_by=manager)
    make_article(engineer, title="登录失败", publish_by=manager)
    body = engineer_client.get(LIST, {"type": ProblemType.PERFORMANCE}).content.decode()
    assert "慢查询" in body and "登录失败" not in body
    body = engineer_client.get(LIST, {"tag": "数据库"}).content.decode()
    assert "慢查询" in body and "登录失败" not in body


def test_list_ignores_bad_filter_values(engineer_client, engineer, manager):
    make_article(engineer, title="登录失败", publish_by=manager)
    response = engineer_client.get(LIST, {"type": "nonsense", "status": "x", "page": "abc"})
    assert response.status_code == 200


def test_list_pages(engineer_client, engineer, manager):
    for index in range(23):
        make_article(engineer, title=f"登录问题{index}", publish_by=manager)
    first = engineer_client.get(LIST, {"q": "登录"}).content.decode()
    second = engineer_client.get(LIST, {"q": "登录", "page": 2}).content.decode()
    assert "23 篇文章" in first or "23" in first
    assert first.count('class="border-bottom py-2"') == 20
    assert second.count('class="border-bottom py-2"') == 3


@pytest.mark.parametrize("q", ["", "登录"])
def test_list_query_count_does_not_grow_with_rows(engineer_client, engineer, manager, q):
    def count_queries(rows):
        Article.objects.all().delete()
        for index in range(rows):
            make_article(engineer, title=f"登录{index}", tags=[f"标签{index}", "共同"], publish_by=manager)
        with CaptureQueriesContext(connection) as captured:
            assert engineer_client.get(LIST, {"q": q}).status_code == 200
        return len(captured)

    assert count_queries(1) == count_queries(10)


def test_detail_query_count_does_not_grow(engineer_client, engineer, manager):
    def count_queries(rows):
        article = make_article(
            engineer, title="登录", tags=[f"标签{i}" for i in range(rows)], publish_by=manager
        )
        for index in range(rows):
            services.article_update(article=article, by=manager, symptoms=f"现象{index}")
            article.source_tickets.add(TicketFactory())
        with CaptureQueriesContext(connection) as captured:
            assert engineer_client.get(detail(article)).status_code == 200
        return len(captured)

    assert count_queries(1) == count_queries(10)


def test_detail_renders_markdown_safely_and_counts_views(engineer_client, engineer, manager):
    article = make_article(
        engineer,
        publish_by=manager,
        solution_steps="1. **重启**\n2. <script>alert('x')</script>\n\n[链接](javascript:alert(1))",
    )
    body = engineer_client.get(detail(article)).content.decode()
    assert "<strong>重启</strong>" in body
    assert "alert(" not in body and "javascript:" not in body
    engineer_client.get(detail(article))
    article.refresh_from_db()
    assert article.view_count == 2


def test_drafts_are_not_shown_to_readers_without_edit_rights(client, engineer, manager):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(reader)
    draft = make_article(engineer)
    assert client.get(detail(draft)).status_code == 404
    published = make_article(engineer, title="已发布", publish_by=manager)
    assert client.get(detail(published)).status_code == 200
    assert "无法登录系统" not in client.get(LIST, {"status": ArticleStatus.DRAFT}).content.decode()


def test_create_and_edit_save_versions(engineer_client, engineer):
    data = {
        "title": "验证码收不到",
        "type": ProblemType.FUNCTIONAL,
        "symptoms": "短信验证码收不到",
        "solution_steps": "1. 检查短信网关",
        "tag_names": "短信, 验证码,短信",
    }
    response = engineer_client.post(reverse("knowledge:new"), data)
    article = Article.objects.get()
    assert response.status_code == 302
    assert sorted(article.tags.values_list("name", flat=True)) == ["短信", "验证码"]
    response = engineer_client.post(
        reverse("knowledge:edit", args=[article.pk]), {**data, "root_cause": "网关欠费"}
    )
    assert response.status_code == 302
    assert ArticleVersion.objects.filter(article=article).count() == 2


def test_create_with_errors_shows_the_form_again(engineer_client):
    response = engineer_client.post(reverse("knowledge:new"), {"title": ""})
    assert response.status_code == 400 and Article.objects.count() == 0


def test_engineer_cannot_publish_or_archive(engineer_client, engineer):
    article = make_article(engineer)
    assert engineer_client.post(reverse("knowledge:publish", args=[article.pk])).status_code == 403
    assert engineer_client.post(reverse("knowledge:archive", args=[article.pk])).status_code == 403


def test_review_workflow_through_the_pages(engineer_client, engineer, manager, client):
    article = make_article(engineer)
    engineer_client.post(reverse("knowledge:submit", args=[article.pk]))
    article.refresh_from_db()
    assert article.status == ArticleStatus.IN_REVIEW
    client.force_login(manager)
    body = client.get(detail(article)).content.decode()
    assert reverse("knowledge:publish", args=[article.pk]) in body
    client.post(reverse("knowledge:publish", args=[article.pk]))
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.reviewer == manager
    client.post(reverse("knowledge:archive", args=[article.pk]))
    article.refresh_from_db()
    assert article.status == ArticleStatus.ARCHIVED


def test_engineer_cannot_edit_a_published_article(engineer_client, engineer, manager):
    article = make_article(engineer, publish_by=manager)
    assert engineer_client.get(reverse("knowledge:edit", args=[article.pk])).status_code == 403


def test_helped_vote_once(engineer_client, engineer, manager):
    article = make_article(engineer, publish_by=manager)
    url = reverse("knowledge:helped", args=[article.pk])
    response = engineer_client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "helped-button" not in response.content.decode()
    engineer_client.post(url)
    article.refresh_from_db()
    assert article.helped_count == 1


def test_suggest_returns_articles_and_resolved_tickets(engineer_client, engineer, manager):
    make_article(
        engineer, title="登录时提示验证码错误", symptoms="无法登录系统,提示验证码错误", publish_by=manager
    )
    make_article(engineer, title="验证码草稿", symptoms="无法登录系统,提示验证码错误")
    closed = TicketFactory(stage=Stage.CLOSED, description="客户无法登录系统,提示验证码错误")
    open_ticket = TicketFactory(stage=Stage.DIAGNOSIS, description="客户无法登录系统,提示验证码错误")
    response = engineer_client.get(
        reverse("knowledge:suggest"), {"description": "无法登录系统,提示验证码错误", "error_message": ""}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "登录时提示验证码错误" in body.replace("<mark>", "").replace("</mark>", "")
    assert "验证码草稿" not in body
    assert closed.number in body and open_ticket.number not in body
    assert 'data-knowledge-link="' in body


def test_suggest_by_error_code(engineer_client, engineer, manager):
    make_article(engineer, title="接口超时", error_messages="Error500:ConnectionTimeout", publish_by=manager)
    body = engineer_client.get(reverse("knowledge:suggest"), {"error_message": "error500"}).content.decode()
    assert "接口超时" in body


def test_suggest_with_nothing_typed_shows_the_hint(engineer_client, django_assert_num_queries):
    response = engineer_client.get(reverse("knowledge:suggest"), {"description": "  ", "error_message": "!!"})
    assert response.status_code == 200 and "suggested-articles" not in response.content.decode()


@pytest.mark.parametrize("rows", [1, 5])
def test_suggest_query_count_is_constant(engineer_client, engineer, manager, rows, django_assert_num_queries):
    for index in range(rows):
        make_article(engineer, title=f"验证码错误{index}", publish_by=manager)
        TicketFactory(stage=Stage.CLOSED, description=f"提示验证码错误{index}")
    # session, user, the user's permissions (2), two ranked searches, the rows of each
    with django_assert_num_queries(8):
        engineer_client.get(reverse("knowledge:suggest"), {"description": "提示验证码错误"})


def test_link_search_and_link_from_the_ticket_panel(engineer_client, engineer, manager):
    article = make_article(engineer, title="登录失败", publish_by=manager)
    make_article(engineer, title="登录草稿")
    ticket = TicketFactory()
    body = engineer_client.get(
        reverse("knowledge:link_search", args=[ticket.number]), {"q": "登录"}
    ).content.decode()
    assert "登录失败" in body and "登录草稿" not in body
    response = engineer_client.post(
        reverse("knowledge:link", args=[ticket.number]),
        {"article": article.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'id="knowledge-panel"' in response.content.decode()
    link = ArticleLink.objects.get()
    assert (link.article, link.ticket, link.linked_by) == (article, ticket, engineer)


def test_linking_a_draft_is_refused(engineer_client, engineer):
    draft = make_article(engineer)
    ticket = TicketFactory()
    response = engineer_client.post(reverse("knowledge:link", args=[ticket.number]), {"article": draft.pk})
    assert response.status_code == 302 and not ArticleLink.objects.exists()


def test_ticket_panel_renders(engineer_client, engineer, manager, rf):
    from django.template.loader import render_to_string

    from knowledge.selectors import knowledge_panel

    ticket = TicketFactory(stage=Stage.CLOSED)
    services.article_link(article=make_article(engineer, publish_by=manager), ticket=ticket, by=engineer)
    request = rf.get("/")
    request.user = engineer
    html = render_to_string(
        "knowledge/_ticket_panel.html",
        {"ticket": ticket, "knowledge_panel": knowledge_panel(ticket)},
        request,
    )
    assert "无法登录系统" in html and reverse("knowledge:capture", args=[ticket.number]) in html


def test_intake_form_has_the_suggestions_box(engineer_client):
    body = engineer_client.get(reverse("diagnosis:new")).content.decode()
    assert 'id="knowledge-suggestions"' in body and reverse("knowledge:suggest") in body
    assert "keyup changed delay:400ms from:#id_description" in body
    assert 'name="knowledge_article"' in body and 'form="intake-form"' in body
    assert 'id="similar-tickets"' in body


def test_a_bad_filter_value_keeps_the_others(engineer_client, engineer, manager):
    make_article(engineer, title="登录失败", publish_by=manager)
    make_article(engineer, title="打印机卡纸", symptoms="卡纸", publish_by=manager)
    body = engineer_client.get(LIST, {"q": "登录", "type": "nonsense"}).content.decode()
    assert "<mark>登录</mark>失败" in body and "打印机卡纸" not in body
