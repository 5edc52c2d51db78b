"""The customer's status page: number, stage, public replies and their own messages, a box to add
information and files; never an internal note, another ticket, the history or an engineer's file."""

import pytest
from django.urls import reverse

from conversation import services as conversation
from conversation.choices import MessageChannel, MessageKind
from conversation.models import Message
from portal import services
from tests.factories import TicketFactory
from toolkit import services as core
from toolkit.choices import Stage

from .conftest import answers, png

pytestmark = pytest.mark.django_db


def status_path(token):
    return reverse("portal_public:status", kwargs={"token": token})


def fetch(client, path):
    """GET a file and read it to the end, which closes it (closing the response would also close the
    test's database connection on PostgreSQL)."""
    response = client.get(path)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def test_the_status_page_shows_number_stage_and_the_customers_words(anon, reported):
    ticket, token = reported
    response = anon.get(status_path(token) + "?new=1")
    assert response.status_code == 200
    text = response.content.decode()
    assert ticket.number in text
    assert "新建" in text  # the stage, translated
    assert 'id="portal-new"' in text
    assert "无法登录系统,提示“验证码错误”,影响3名用户提交订单" in text
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"]


def test_internal_notes_never_reach_the_status_page(anon, reported, engineer):
    ticket, token = reported
    conversation.reply_send(ticket=ticket, body="您好,我们正在排查验证码接口。", by=engineer)
    conversation.note_add(
        ticket=ticket, body="内部:疑似数据库索引问题,勿告知客户", by=engineer, files=[png("internal.png")]
    )
    core.ticket_add_clarification(ticket=ticket, text="内部补充:客户上周也报过", by=engineer)
    core.ticket_change_stage(
        ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="内部原因:转数据库组", by=engineer
    )
    other = TicketFactory(number="TS-20200101-0001", customer=ticket.customer, description="另一张工单的描述")

    text = anon.get(status_path(token)).content.decode()

    assert "您好,我们正在排查验证码接口。" in text
    assert "诊断" in text
    for secret in (
        "疑似数据库索引问题",
        "internal.png",
        "客户上周也报过",
        "转数据库组",
        other.number,
        "另一张工单",
    ):
        assert secret not in text
    # Nor the engineer's name or anything of theirs.
    assert engineer.first_name not in text and engineer.username not in text
    note = Message.objects.get(kind=MessageKind.NOTE)
    note_file = note.ticket.attachments.get(original_name="internal.png")
    files_path = reverse("portal_public:status_file", kwargs={"token": token, "pk": note_file.pk})
    assert anon.get(files_path).status_code == 404


def test_the_customer_adds_information_and_a_photo(anon, reported, engineer):
    ticket, token = reported
    response = anon.post(
        status_path(token), {"body": "今天上午又出现了,截图见附件", "files": [png("again.png")]}
    )
    assert response.status_code == 302
    assert response["Location"] == status_path(token) + "?sent=1#messages"
    message = Message.objects.get(ticket=ticket)
    assert message.kind == MessageKind.CUSTOMER and message.channel == MessageChannel.PORTAL
    assert message.body == "今天上午又出现了,截图见附件"
    assert message.sender_name == "王女士" and message.from_address == "wang@tsa.example.com"

    text = anon.get(status_path(token) + "?sent=1").content.decode()
    assert "今天上午又出现了" in text and "again.png" in text
    photo = ticket.attachments.get(original_name="again.png")
    download = fetch(anon, reverse("portal_public:status_file", kwargs={"token": token, "pk": photo.pk}))
    assert download.status_code == 200 and download["Content-Type"] == "image/png"


def test_an_empty_message_is_refused_and_nothing_is_saved(anon, reported):
    ticket, token = reported
    response = anon.post(status_path(token), {"body": "   "})
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_files_are_reachable_only_through_their_own_tickets_link(anon, issued, engineer, client):
    data = answers()
    data["files"] = [png("report.png")]
    anon.post(reverse("portal_public:report", kwargs={"token": issued.token}), data)
    ticket = issued.link.customer.tickets.get()
    photo = ticket.attachments.get()
    assert photo.uploaded_by_customer and photo.uploaded_by is None
    own = reverse("portal_public:status_file", kwargs={"token": data["status_token"], "pk": photo.pk})
    assert fetch(anon, own).status_code == 200
    assert "report.png" in anon.get(status_path(data["status_token"])).content.decode()

    other = services.status_link_issue(ticket=TicketFactory(number="TS-20200101-0001"), by=engineer)
    wrong = reverse("portal_public:status_file", kwargs={"token": other.token, "pk": photo.pk})
    assert anon.get(wrong).status_code == 404
    # An engineer's file on the ticket itself is not the customer's to download.
    from attachments.services import attachments_add

    [internal] = attachments_add(ticket=ticket, files=[png("engineer.png")], by=engineer)
    path = reverse("portal_public:status_file", kwargs={"token": data["status_token"], "pk": internal.pk})
    assert anon.get(path).status_code == 404


def test_a_wrong_file_type_with_the_report_saves_nothing_and_keeps_the_words(anon, issued):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = answers(description="导出失败")
    data["files"] = [SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/png")]
    response = anon.post(reverse("portal_public:report", kwargs={"token": issued.token}), data)
    assert response.status_code == 400
    assert "导出失败" in response.content.decode()
    assert not issued.link.customer.tickets.exists()


def test_the_status_page_takes_a_fixed_number_of_queries(
    anon, reported, engineer, django_assert_max_num_queries
):
    ticket, token = reported
    for n in range(5):
        conversation.reply_send(ticket=ticket, body=f"回复 {n}", by=engineer)
        conversation.customer_message_receive(
            ticket=ticket, body=f"客户 {n}", channel=MessageChannel.PORTAL, files=[png(f"p{n}.png")]
        )
    anon.get(status_path(token))  # warm the content-type cache and the touch
    with django_assert_max_num_queries(8) as captured:
        response = anon.get(status_path(token))
    assert response.status_code == 200
    few = len(captured.captured_queries)
    for n in range(5, 15):
        conversation.reply_send(ticket=ticket, body=f"回复 {n}", by=engineer)
    with django_assert_max_num_queries(few):
        anon.get(status_path(token))
