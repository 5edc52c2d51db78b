"""In a real browser: suggestions appear beside the intake form while the description is typed, "Link"
keeps the chosen article for the new ticket; the knowledge base searches Chinese and shows an article."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import TicketFactory
from tests.knowledge.factories import make_article
from toolkit.choices import Stage

pytestmark = pytest.mark.browser


@pytest.fixture
def knowledge(engineer, manager):
    article = make_article(
        engineer,
        title="登录时提示验证码错误",
        symptoms="无法登录系统,提示验证码错误,影响用户提交订单",
        error_messages="验证码错误,请重试",
        solution_steps="1. 检查验证码服务日志中的 `Timeout`\n2. 将缓存有效期调回 **300 秒**",
        tags=["登录", "验证码"],
        publish_by=manager,
    )
    make_article(engineer, title="设备数据同步延迟", symptoms="实时数据刷新间隔5分钟", publish_by=manager)
    ticket = TicketFactory(stage=Stage.CLOSED, description="客户无法登录系统,提示验证码错误")
    return article, ticket


def test_suggestions_appear_while_typing_and_link_is_kept(page, log_in, screenshot, engineer, knowledge):
    article, ticket = knowledge
    open_ticket = TicketFactory(stage=Stage.DIAGNOSIS, description="客户无法登录系统,提示验证码错误")
    log_in(engineer)
    page.goto(reverse("diagnosis:new"))
    box = page.locator("#knowledge-suggestions")
    expect(box.locator("p.text-muted")).to_be_visible()  # the hint before anything is typed
    with page.expect_response(lambda response: "/knowledge/suggest/" in response.url):
        page.locator("#id_description").press_sequentially("无法登录系统,提示验证码错误", delay=20)
    expect(box.locator("#suggested-articles")).to_contain_text("登录时提示验证码错误")
    expect(box.locator("#suggested-tickets")).to_contain_text(ticket.number)
    expect(box.locator("mark").first).to_be_visible()
    # The similar-open-tickets box beside it still answers too.
    expect(page.locator("#similar-list")).to_contain_text(open_ticket.number)

    button = box.locator(f'[data-knowledge-link="{article.pk}"]')
    button.click()
    expect(page.locator("#id_knowledge_article")).to_have_value(str(article.pk))
    expect(button).to_have_attribute("aria-pressed", "true")
    screenshot("intake-suggestions")
    button.click()
    expect(page.locator("#id_knowledge_article")).to_have_value("")


def test_search_the_knowledge_base_and_read_an_article(page, log_in, screenshot, engineer, knowledge):
    article, _ticket = knowledge
    log_in(engineer)
    page.goto(reverse("knowledge:list"))
    with page.expect_response(lambda response: "/knowledge/?" in response.url):
        page.locator("#id_q").press_sequentially("验证码", delay=20)
    results = page.locator("#article-list")
    expect(results).to_contain_text("登录时提示验证码错误")
    expect(results).not_to_contain_text("设备数据同步延迟")
    expect(results.locator("mark").first).to_have_text("验证码")
    screenshot("knowledge-search")
    results.get_by_role("link", name="登录时提示验证码错误").click()
    expect(page.locator("#article-title")).to_have_text("登录时提示验证码错误")
    expect(page.locator("#solution-steps strong")).to_have_text("300 秒")
    page.locator("#helped-button").click()
    expect(page.locator("#helped-box")).to_contain_text("1")
    screenshot("knowledge-article")
