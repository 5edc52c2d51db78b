"""What a mail becomes: Chinese charsets read right, HTML-only mail as text, attachments kept (a refused
one noted, never blocking), the Date believed within bounds, an oversized mail left in the mailbox."""

import base64
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from attachments.models import Attachment
from conversation.models import Message
from inbound import services
from inbound.models import InboundMail, InboundStatus
from tests.inbound.conftest import make_mail
from toolkit.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def owner(manager):
    return manager


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def gb2312_labelled_mail(text: str, subject: str, name: str) -> bytes:
    """What Chinese clients send: headers and body labelled gb2312, holding GBK-only characters (镕)."""

    def word(value):
        return "=?gb2312?B?" + base64.b64encode(value.encode("gbk")).decode() + "?="

    head = (
        f"From: {word(name)} <rong@tsa.example.com>\r\n"
        f"To: support@desk.example.com\r\nSubject: {word(subject)}\r\n"
        "Message-ID: <gbk-1@tsa.example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode() + base64.encodebytes(text.encode("gbk"))


def test_gb2312_labelled_gbk_text_is_read_correctly(dovecot):
    dovecot.deliver(gb2312_labelled_mail("朱镕基路的门店无法登录。\r\n", "镕基路门店报错", "朱镕"))

    services.poll_once()

    ticket = Ticket.objects.get()
    assert ticket.description == "镕基路门店报错\n\n朱镕基路的门店无法登录。"
    assert ticket.contact.name == "朱镕"


def test_gb18030_and_big5_bodies_are_read(dovecot):
    dovecot.deliver(
        make_mail(subject="GB18030", body="系统提示:连接超时 😀\n", charset="gb18030"),
        make_mail(subject="Big5", body="系統無法登入\n", charset="big5", sender="chen@tw.example.com"),
    )

    services.poll_once()

    texts = set(Ticket.objects.values_list("description", flat=True))
    assert texts == {"GB18030\n\n系统提示:连接超时 😀", "Big5\n\n系統無法登入"}


def test_html_only_mail_becomes_its_visible_text(dovecot):
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>报表&nbsp;打不开</p><div>错误:<b>Error500</b> &lt;ConnectionTimeout&gt;</div>"
        '<img src="x" onerror="alert(2)"></body></html>'
    )
    dovecot.deliver(make_mail(subject="报表问题", body=None, html=html))

    services.poll_once()

    description = Ticket.objects.get().description
    assert description == "报表问题\n\n报表 打不开\n错误:Error500 <ConnectionTimeout>"
    assert "alert" not in description and "color" not in description


def test_plain_part_is_preferred_over_html(dovecot):
    dovecot.deliver(make_mail(body="纯文本正文\n", html="<p>HTML 正文</p>"))

    services.poll_once()

    assert Ticket.objects.get().description.endswith("纯文本正文")


def test_attachments_are_kept_and_a_refused_one_is_noted_without_blocking(dovecot):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
    dovecot.deliver(
        make_mail(
            attachments=[
                ("截图.png", png_bytes(), "image/png"),
                ("tool.exe", exe, "application/octet-stream"),
                ("app.log", "2026-11-27 ERROR 连接超时\n".encode(), "text/plain"),
            ]
        )
    )

    services.poll_once()

    ticket = Ticket.objects.get()
    kept = Attachment.objects.filter(ticket=ticket)
    assert sorted(kept.values_list("original_name", flat=True)) == ["app.log", "截图.png"]
    assert all(kept.values_list("uploaded_by_customer", flat=True))
    mail = InboundMail.objects.get()
    assert mail.status == InboundStatus.PROCESSED and "tool.exe" in mail.note
    note = Message.objects.get(ticket=ticket, kind="note")
    assert "tool.exe" in note.body


def test_a_replys_attachments_go_with_its_message(dovecot):
    dovecot.deliver(make_mail(subject="无法登录"))
    services.poll_once()
    ticket = Ticket.objects.get()
    dovecot.deliver(
        make_mail(subject=f"Re: [{ticket.number}] 截图", attachments=[("more.png", png_bytes(), "image/png")])
    )

    services.poll_once()

    message = Message.objects.get(ticket=ticket, kind="customer")
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.object_id == message.pk and attachment.original_name == "more.png"


@pytest.mark.parametrize(
    ("offset", "believed"),
    [(timedelta(hours=-3), True), (timedelta(days=2), False), (timedelta(days=-90), False)],
    ids=["three-hours-ago", "in-the-future", "three-months-ago"],
)
def test_the_mails_date_is_the_occurrence_time_within_bounds(dovecot, offset, believed):
    import email.utils

    sent = timezone.now() + offset
    dovecot.deliver(make_mail(date=email.utils.format_datetime(sent)))

    services.poll_once()

    ticket = Ticket.objects.get()
    if believed:
        assert ticket.occurred_at == sent.replace(second=0, microsecond=0)
    else:
        assert abs(ticket.occurred_at - timezone.now()) < timedelta(minutes=2)


def test_a_mail_larger_than_the_limit_is_kept_as_failed_and_left_in_the_mailbox(dovecot, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 20_000
    dovecot.deliver(make_mail(subject="大附件", attachments=[("big.log", b"x" * 40_000, "text/plain")]))
    dovecot.deliver(make_mail(subject="小邮件"))

    outcome = services.poll_once()

    assert outcome.statuses == {InboundStatus.FAILED: 1, InboundStatus.PROCESSED: 1}
    failed = InboundMail.objects.get(status=InboundStatus.FAILED)
    assert failed.subject == "大附件" and failed.size > 40_000 and "INBOUND_EMAIL_MAX_BYTES" in failed.error
    assert dovecot.count() == 2  # nothing deleted from the mailbox
    assert dovecot.unseen() == []
