"""The conversation card on the ticket page, its htmx posts, the canned-replies page, the customer's
status page (no notes there) and the ticket page's query count."""

from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse

from conversation import services
from conversation.choices import MessageKind
from conversation.models import CannedReply, Message
from tests.conversation.conftest import log_ticket
from tests.factories import UserFactory
from toolkit.models import Notification

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(ticket):
    return reverse("diagnosis:detail", args=[ticket.number])


def test_ticket_page_shows_the_card_with_two_clearly_labelled_forms(engineer_client, ticket):
    page = engineer_client.get(detail(ticket)).content.decode()
    assert 'id="conversation"' in page
    assert "回复客户" in page and "内部备注" in page
    assert "内部:仅团队可见。" in page
    assert "wang@example.com" in page  # where the reply goes (the owner sees contact details)


def test_reply_posted_with_htmx_rerenders_the_card(engineer_client, ticket):
    response = engineer_client.post(
        reverse("conversation:reply", args=[ticket.number]), {"reply-body": "您好,<script>x</script>"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section") and 'id="conversation"' in body
    assert "回复已发给客户。" in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body and "<script>x</script>" not in body
    [message] = Message.objects.all()
    assert message.kind == MessageKind.REPLY and message.body == "您好,<script>x</script>"


def test_note_posted_without_javascript_redirects_back(engineer_client, ticket):
    response = engineer_client.post(
        reverse("conversation:note", args=[ticket.number]), {"note-body": "先看日志"}
    )
    assert response.status_code == 302 and response["Location"] == detail(ticket)
    assert Message.objects.get().kind == MessageKind.NOTE


def test_empty_text_answers_with_the_error_and_saves_nothing(engineer_client, ticket):
    response = engineer_client.post(
        reverse("conversation:reply", args=[ticket.number]), {"reply-body": "  "}, **HTMX
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    response = engineer_client.post(reverse("conversation:note", args=[ticket.number]), {"note-body": ""})
    assert response.status_code == 302
    assert not Message.objects.exists()


def test_an_unknown_ticket_is_404_not_500(engineer_client):
    response = engineer_client.post(
        reverse("conversation:reply", args=["TS-19990101-0001"]), {"reply-body": "x"}
    )
    assert response.status_code == 404


def test_without_the_clarification_right_no_reply_or_note(client, no_role_user, ticket):
    client.force_login(no_role_user)
    for name, field in (("conversation:reply", "reply-body"), ("conversation:note", "note-body")):
        assert client.post(reverse(name, args=[ticket.number]), {field: "hi"}).status_code == 403
    assert not Message.objects.exists()


def test_reply_without_address_says_it_was_not_emailed(engineer_client, engineer):
    ticket = log_ticket(engineer, email="", details="13856785678")
    page = engineer_client.get(detail(ticket)).content.decode()
    assert "联系人没有邮箱地址" in page
    body = engineer_client.post(
        reverse("conversation:reply", args=[ticket.number]), {"reply-body": "已电话告知"}, **HTMX
    ).content.decode()
    assert "未发送邮件:没有邮箱地址" in body


def test_the_customers_details_are_masked_for_those_who_may_not_see_them(client, engineer, ticket):
    services.customer_message_receive(
        ticket=ticket,
        body="请回电 13912345678",
        channel="email",
        from_address="wang.li@customer.cn",
        sender_name="王丽",
    )
    colleague = UserFactory(username="colleague", role="engineer")  # not the owner, no permission
    client.force_login(colleague)
    page = client.get(detail(ticket)).content.decode()
    assert "wang.li@customer.cn" not in page and "w****@customer.cn" in page
    assert "王丽" not in page and "*丽" in page
    assert "13912345678" not in page and "139****5678" in page
    client.force_login(engineer)  # the owner sees them
    page = client.get(detail(ticket)).content.decode()
    assert "wang.li@customer.cn" in page and "13912345678" in page


def test_a_mention_in_a_note_rings_the_colleagues_bell(engineer_client, ticket):
    colleague = UserFactory(username="zhang.san", role="engineer")
    engineer_client.post(
        reverse("conversation:note", args=[ticket.number]),
        {"note-body": "@zhang.san 请看一下,邮件 a@b.cn 不算"},
    )
    assert Notification.objects.filter(user=colleague, ticket=ticket).count() == 1


def test_a_customer_reply_tells_the_owner(engineer, ticket):
    services.customer_message_receive(ticket=ticket, body="还是不行", channel="portal")
    assert Notification.objects.filter(user=engineer, ticket=ticket).count() == 1


def test_internal_notes_are_never_on_the_customers_status_page(engineer, ticket):
    from portal import services as portal

    services.reply_send(ticket=ticket, body="公开的回复文字", by=engineer)
    services.note_add(ticket=ticket, body="内部备注文字", by=engineer)
    services.customer_message_receive(ticket=ticket, body="客户的话", channel="portal")
    issued = portal.status_link_issue(ticket=ticket, by=engineer)
    page = Client().get(urlparse(issued.url).path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "公开的回复文字" in text and "客户的话" in text
    assert "内部备注文字" not in text


# ---------------------------------------------------------------- canned replies


def test_canned_replies_fill_the_picker_with_placeholders_filled(engineer_client, engineer, ticket):
    services.canned_reply_save(by=engineer, title="已收到", body="{contact}您好,问题{ticket}已收到。")
    page = engineer_client.get(detail(ticket)).content.decode()
    assert 'data-canned-target="id_reply-body"' in page
    assert f"{ticket.contact.name}您好,问题{ticket.number}已收到。" in page


def test_canned_page_personal_and_shared(client, engineer, manager):
    client.force_login(engineer)
    url = reverse("conversation:canned")
    page = client.get(url).content.decode()
    assert "{customer}" in page and "客户名称" in page  # the placeholders explained, translated
    assert 'name="shared"' not in page  # engineers keep personal ones only
    assert client.post(url, {"title": "问候", "body": "您好 {contact}"}).status_code == 302
    mine = CannedReply.objects.get()
    assert mine.owner == engineer
    assert client.post(url, {"title": "", "body": ""}).status_code == 400
    client.force_login(manager)
    assert client.post(url, {"title": "共享问候", "body": "您好", "shared": "on"}).status_code == 302
    shared = CannedReply.objects.get(title="共享问候")
    assert shared.owner is None
    assert client.get(reverse("conversation:canned_edit", args=[mine.pk])).status_code == 403
    client.force_login(engineer)
    assert (
        client.post(
            reverse("conversation:canned_edit", args=[shared.pk]), {"title": "x", "body": "y"}
        ).status_code
        == 403
    )
    assert client.post(reverse("conversation:canned_delete", args=[mine.pk])).status_code == 302
    assert list(CannedReply.objects.values_list("title", flat=True)) == ["共享问候"]


# ---------------------------------------------------------------- queries


def _entries(ticket, engineer, count):
    for index in range(count):
        services.reply_send(ticket=ticket, body=f"回复 {index}", by=engineer)
        services.note_add(ticket=ticket, body=f"备注 {index}", by=engineer)
        services.customer_message_receive(ticket=ticket, body=f"客户 {index}", channel="portal")


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_ticket_page_queries_do_not_grow_with_the_conversation(
    engineer_client, engineer, ticket, django_assert_num_queries
):
    _entries(ticket, engineer, 2)
    few = _queries(engineer_client, detail(ticket))
    _entries(ticket, engineer, 20)
    assert Message.objects.count() == 66
    with django_assert_num_queries(few):
        engineer_client.get(detail(ticket))


def test_card_refresh_queries_do_not_grow_with_the_conversation(
    engineer_client, engineer, ticket, django_assert_num_queries
):
    url = reverse("conversation:card", args=[ticket.number])
    _entries(ticket, engineer, 1)
    few = _queries(engineer_client, url)
    _entries(ticket, engineer, 15)
    with django_assert_num_queries(few):
        engineer_client.get(url)


def test_a_long_conversation_shows_the_newest_entries_and_the_rest_on_demand(
    engineer_client, engineer, ticket
):
    for index in range(40):
        services.note_add(ticket=ticket, body=f"备注编号{index:02d}号", by=engineer)
    page = engineer_client.get(detail(ticket)).content.decode()
    assert "备注编号39号" in page and "备注编号10号" in page and "备注编号09号" not in page
    assert 'id="conversation-show-all"' in page
    assert "显示更早的记录" in page
    url = reverse("conversation:card", args=[ticket.number]) + "?all=1"
    card = engineer_client.get(url, **HTMX).content.decode()
    assert card.lstrip().startswith("<section") and "备注编号00号" in card
    assert 'id="conversation-show-all"' not in card
    full = engineer_client.get(url).content.decode()  # without JavaScript: a page around the card
    assert "<html" in full and "备注编号00号" in full
