"""The conversation card in a real browser: a canned reply fills the text (static JS under CSP), the reply
and the note post under htmx and re-render the card, the two are told apart by their labels, and the
card reads well at phone width in Chinese and English."""

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conversation import services
from conversation.models import Message
from tests.factories import ContactFactory
from toolkit import services as core
from toolkit.choices import Priority, ProblemType, Source

pytestmark = pytest.mark.browser

# Screenshots for a person to look at (CONVERSATION_SHOTS=/some/dir); CI never writes them.
SHOTS = os.environ.get("CONVERSATION_SHOTS", "")


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret would inject a style element, which the CSP refuses.
        page.locator("#conversation").screenshot(path=str(Path(SHOTS) / f"{name}.png"), caret="initial")


@pytest.fixture
def ticket(engineer):
    contact = ContactFactory(name="王女士", email="wang@example.com")
    ticket = core.ticket_create(
        recorded_by=engineer,
        owner=engineer,
        customer=contact.customer,
        contact=contact,
        contact_details="13856785678",
        source=Source.EMAIL,
        occurred_at=timezone.now(),
        description="无法登录系统,提示“验证码错误”,影响3名用户提交订单",
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P1,
        suggested_priority=Priority.P1,
    )
    services.customer_message_receive(
        ticket=ticket,
        body="验证码一直提示错误,请尽快处理。",
        channel="email",
        from_address="wang@example.com",
    )
    return ticket


def test_canned_reply_fills_the_text_then_reply_and_note_post_in_place(page, log_in, engineer, ticket):
    services.canned_reply_save(
        by=engineer, title="已收到", body="{contact}您好,问题{ticket}已收到,{engineer}正在处理。"
    )
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(engineer)
    page.goto(ticket.get_absolute_url())
    card = page.locator("#conversation")
    expect(card).to_contain_text("客户来信")

    page.select_option("#canned-pick", label="已收到")
    text = page.locator("#id_reply-body")
    expect(text).to_have_value(f"王女士您好,问题{ticket.number}已收到,{engineer.display_name}正在处理。")
    shot(page, "conversation-zh-1400-compose")
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#conversation-notice")).to_contain_text("回复已发给客户")
    expect(card.locator(".conv-reply").first).to_contain_text("等待发送邮件")
    assert page.url.endswith(ticket.get_absolute_url())  # posted in place, no navigation

    page.click("#conv-note-tab")
    page.fill("#id_note-body", "内部:验证码服务的日志已导出")
    page.click("#note-form button[type=submit]")
    expect(page.locator("#conversation-notice")).to_contain_text("内部备注已添加")
    expect(card.locator(".conv-note").first).to_contain_text("内部备注")
    assert list(Message.objects.order_by("pk").values_list("kind", flat=True)) == [
        "customer",
        "reply",
        "note",
    ]
    shot(page, "conversation-zh-1400")
    assert not [error for error in errors if "Content Security Policy" in error]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_card_at_phone_width(page, log_in, engineer, ticket, language):
    services.reply_send(
        ticket=ticket, body="您好,请清除浏览器缓存后重试。\nPlease clear the cache and retry.", by=engineer
    )
    services.note_add(ticket=ticket, body="@manager 需要升级吗?", by=engineer)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(engineer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto(ticket.get_absolute_url())
    card = page.locator("#conversation")
    expect(card).to_contain_text("Internal note" if language == "en" else "内部备注")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"
    shot(page, f"conversation-{language}-390")


@pytest.mark.parametrize("width", [390, 1400])
def test_canned_replies_page(page, log_in, manager, width):
    services.canned_reply_save(
        by=manager, title="已收到", body="{contact}您好,问题{ticket}已收到。", shared=True
    )
    page.set_viewport_size({"width": width, "height": 900})
    log_in(manager)
    page.goto("/conversation/canned/")
    expect(page.locator("#placeholder-help")).to_contain_text("{customer}")
    page.fill("#id_title", "请提供日志")
    page.fill("#id_body", "{contact}您好,请把 {ticket} 相关的日志发给我们。")
    with page.expect_navigation():
        page.click("#canned-form button[type=submit]")
    expect(page.locator("#canned-list")).to_contain_text("请提供日志")
    width_now = page.evaluate("document.documentElement.scrollWidth")
    assert width_now <= width
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"canned-{width}.png"), full_page=True, caret="initial")
