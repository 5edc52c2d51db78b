"""Replies by e-mail, sent to a real SMTP server (aiosmtpd on a loopback port): threading headers, the
subject, the language, exactly once, retries; internal notes never leave the building."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversation import services
from conversation.choices import EmailStatus
from conversation.models import Message
from conversation.tasks import reply_email_task
from tests.conversation.conftest import log_ticket
from toolkit import notifications

pytestmark = pytest.mark.django_db


def test_threading_headers_on_our_outgoing_mail(ticket, engineer, smtp):
    first = services.reply_send(ticket=ticket, body="您好,请问是哪个页面?", by=engineer)
    assert services.reply_email_send(first.pk) == EmailStatus.SENT
    customer = services.customer_message_receive(
        ticket=ticket,
        body="登录页面",
        channel="email",
        from_address="wang@example.com",
        message_id="<CAF=abc123@mail.customer.cn>",
        in_reply_to=first.message_id,
        references=first.message_id,
    )
    second = services.reply_send(ticket=ticket, body="好的,<b>请清除缓存</b>后重试。\n第二行", by=engineer)
    assert services.reply_email_send(second.pk) == EmailStatus.SENT

    assert smtp.recipients == [["wang@example.com"], ["wang@example.com"]]
    mail_one, mail_two = smtp.messages
    assert mail_one["Message-ID"] == first.message_id
    assert first.message_id.startswith(f"<{ticket.number}.") and first.message_id.endswith(
        "@desk.example.com>"
    )
    assert mail_one["In-Reply-To"] is None and mail_one["References"] is None
    assert mail_two["Message-ID"] == second.message_id
    assert mail_two["In-Reply-To"] == customer.message_id
    assert mail_two["References"].split() == [first.message_id, customer.message_id]
    # Django folds a long encoded subject onto the next line, so a parser may keep a leading space.
    assert mail_two["Subject"].strip() == f"[{ticket.number}] 系统无法登录,提示验证码错误"
    assert mail_two["From"] == "support@desk.example.com"
    assert mail_two["X-Toolkit-Ticket"] == ticket.number
    text = mail_two.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("好的,<b>请清除缓存</b>后重试。\n第二行\n")
    assert f"问题编号 {ticket.number}" in text
    html = mail_two.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;请清除缓存&lt;/b&gt;" in html and "<b>" not in html


def test_the_mail_is_written_in_the_contacts_language(engineer, smtp):
    ticket = log_ticket(engineer, email="alice@example.com", language="en", description="Login fails")
    reply = services.reply_send(ticket=ticket, body="Please try again.", by=engineer)
    services.reply_email_send(reply.pk)
    [mail] = smtp.messages
    assert mail["Subject"].strip() == f"[{ticket.number}] Login fails"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"Ticket {ticket.number}. Reply to this e-mail" in text


def test_a_reply_is_mailed_once_however_often_it_is_sent(ticket, engineer, smtp):
    reply = services.reply_send(ticket=ticket, body="收到", by=engineer)
    assert services.reply_email_send(reply.pk) == EmailStatus.SENT
    assert services.reply_email_send(reply.pk) == EmailStatus.SENT
    reply_email_task(reply.pk)
    assert len(smtp.messages) == 1
    reply.refresh_from_db()
    assert reply.attempts == 1 and reply.sent_at is not None


def test_a_claim_held_by_a_live_worker_is_left_alone_a_stale_one_taken_over(ticket, engineer, smtp):
    reply = services.reply_send(ticket=ticket, body="收到", by=engineer)
    Message.objects.filter(pk=reply.pk).update(email_status=EmailStatus.SENDING, claimed_at=timezone.now())
    assert services.reply_email_send(reply.pk) == EmailStatus.SENDING
    assert smtp.messages == []
    stale = timezone.now() - notifications.lease() - timedelta(seconds=1)
    Message.objects.filter(pk=reply.pk).update(claimed_at=stale)
    assert services.replies_due() == [reply.pk]
    assert services.reply_email_send(reply.pk) == EmailStatus.SENT
    assert len(smtp.messages) == 1


def test_a_refusing_server_means_retries_with_backoff_then_failed(ticket, engineer, smtp):
    reply = services.reply_send(ticket=ticket, body="收到", by=engineer)
    smtp.refuse("451 4.3.0 Try again later")
    before = timezone.now()
    assert services.reply_email_send(reply.pk) == EmailStatus.PENDING
    reply.refresh_from_db()
    assert reply.attempts == 1 and "451" in reply.last_error
    assert reply.next_attempt_at >= before + notifications.BACKOFF[0]
    assert services.replies_due() == []  # not before its time
    assert services.reply_email_send(reply.pk) == EmailStatus.PENDING  # not due: nothing tried
    assert Message.objects.get(pk=reply.pk).attempts == 1
    Message.objects.filter(pk=reply.pk).update(
        attempts=notifications.MAX_ATTEMPTS - 1, next_attempt_at=timezone.now()
    )
    assert services.reply_email_send(reply.pk) == EmailStatus.FAILED
    smtp.refuse(None)
    assert services.reply_email_send(reply.pk) == EmailStatus.FAILED
    assert smtp.messages == []


def test_a_server_that_is_down_is_a_retry_not_an_error(ticket, engineer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 14036, 2
    reply = services.reply_send(ticket=ticket, body="收到", by=engineer)
    assert services.reply_email_send(reply.pk) == EmailStatus.PENDING
    assert "Connection" in Message.objects.get(pk=reply.pk).last_error


def test_internal_notes_never_leave_the_building(ticket, engineer, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = services.note_add(ticket=ticket, body="内部:客户的数据库密码是 abc", by=engineer)
    assert callbacks == []
    assert services.replies_due() == []
    assert services.reply_email_send(note.pk) == ""  # a note cannot be claimed for mail
    with django_capture_on_commit_callbacks(execute=True):
        assert services.replies_due_scan() == 0
    assert smtp.messages == []
    note.refresh_from_db()
    assert note.email_status == "" and note.attempts == 0


def test_after_commit_the_reply_goes_out_through_the_task(
    ticket, engineer, smtp, django_capture_on_commit_callbacks
):
    app = reply_email_task.app
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            reply = services.reply_send(ticket=ticket, body="您好", by=engineer)
            assert smtp.messages == []  # nothing before the commit
    finally:
        app.conf.task_always_eager = eager
    assert len(callbacks) == 1
    [mail] = smtp.messages
    assert mail["Message-ID"] == reply.message_id
    assert Message.objects.get(pk=reply.pk).email_status == EmailStatus.SENT
