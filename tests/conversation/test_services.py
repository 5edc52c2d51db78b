import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from conversation import selectors, services
from conversation.choices import EmailStatus, MessageKind
from conversation.models import Message
from evaluation.models import Verification
from tests.conversation.conftest import log_ticket
from tests.factories import ContactFactory, UserFactory
from toolkit import services as core
from toolkit.choices import SlaTargetKind, Stage
from toolkit.models import StageChange, TicketSla

pytestmark = pytest.mark.django_db


def response_met_at(ticket):
    return TicketSla.objects.get(ticket=ticket, target=SlaTargetKind.RESPONSE).met_at


# ---------------------------------------------------------------- replies


def test_reply_is_recorded_pending_with_threading_and_subject(ticket, engineer, settings):
    settings.MESSAGE_ID_DOMAIN = "desk.example.com"
    reply = services.reply_send(ticket=ticket, body="您好,我们正在处理。", by=engineer)
    assert reply.kind == MessageKind.REPLY
    assert reply.email_status == EmailStatus.PENDING
    assert reply.to_address == "wang@example.com"
    assert re.fullmatch(rf"<{ticket.number}\.[0-9a-f]{{20}}@desk\.example\.com>", reply.message_id)
    assert reply.subject == f"[{ticket.number}] 系统无法登录,提示验证码错误"
    assert reply.in_reply_to == "" and reply.references == ""


def test_second_reply_threads_on_the_customers_mail(ticket, engineer):
    first = services.reply_send(ticket=ticket, body="第一次回复", by=engineer)
    answer = services.customer_message_receive(
        ticket=ticket,
        body="还是不行",
        channel="email",
        from_address="wang@example.com",
        message_id="<abc@mail.customer.cn>",
        in_reply_to=first.message_id,
        references=first.message_id,
    )
    second = services.reply_send(ticket=ticket, body="请再试一次", by=engineer)
    assert second.in_reply_to == answer.message_id
    assert second.references == f"{first.message_id} {answer.message_id}"


def test_reply_without_an_address_is_kept_and_marked_not_emailed(
    engineer, django_capture_on_commit_callbacks
):
    ticket = log_ticket(engineer, email="", details="13856785678")
    with django_capture_on_commit_callbacks() as callbacks:
        reply = services.reply_send(ticket=ticket, body="已电话联系", by=engineer)
    assert reply.email_status == EmailStatus.NONE
    assert reply.message_id == "" and reply.to_address == ""
    assert callbacks == []  # nothing queued
    assert list(selectors.public_messages(ticket)) == [reply]


def test_an_address_in_the_contact_details_is_used_when_the_contact_has_none(engineer):
    ticket = log_ticket(engineer, email="", details="王女士 li.wang@tsa.example.cn 138")
    reply = services.reply_send(ticket=ticket, body="您好", by=engineer)
    assert reply.to_address == "li.wang@tsa.example.cn"


def test_subject_in_the_contacts_language(engineer):
    ticket = log_ticket(engineer, language="en", description="")
    reply = services.reply_send(ticket=ticket, body="Hello", by=engineer)
    assert reply.language == "en"
    assert reply.subject == f"[{ticket.number}] Your request"
    chinese = log_ticket(engineer, email="li@example.com", description="")
    assert (
        services.reply_send(ticket=chinese, body="您好", by=engineer).subject
        == f"[{chinese.number}] 您的问题"
    )


def test_first_reply_meets_the_first_response_target(ticket, engineer):
    assert response_met_at(ticket) is None
    reply = services.reply_send(ticket=ticket, body="收到", by=engineer)
    assert response_met_at(ticket) == reply.created_at


def test_a_note_does_not_count_as_the_first_response(ticket, engineer):
    services.note_add(ticket=ticket, body="先查日志", by=engineer)
    assert response_met_at(ticket) is None


def test_empty_text_is_refused_and_nothing_saved(ticket, engineer):
    with pytest.raises(ValidationError):
        services.reply_send(ticket=ticket, body="  \n ", by=engineer)
    with pytest.raises(ValidationError):
        services.note_add(ticket=ticket, body="", by=engineer)
    assert not Message.objects.exists()


def test_without_the_clarification_right_nobody_writes(ticket, outsider):
    with pytest.raises(PermissionDenied):
        services.reply_send(ticket=ticket, body="hi", by=outsider)
    with pytest.raises(PermissionDenied):
        services.note_add(ticket=ticket, body="hi", by=outsider)
    assert not Message.objects.exists()


# ---------------------------------------------------------------- notes stay inside


def test_a_note_is_never_mailed_nor_public(ticket, engineer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        note = services.note_add(ticket=ticket, body="内部:客户数据库版本过旧", by=engineer)
    assert callbacks == []
    assert note.email_status == "" and note.message_id == "" and note.to_address == ""
    assert note not in selectors.public_messages(ticket)
    assert services.replies_due() == []


def test_public_messages_are_replies_and_customer_messages_oldest_first(ticket, engineer):
    reply = services.reply_send(ticket=ticket, body="回复", by=engineer)
    services.note_add(ticket=ticket, body="备注", by=engineer)
    customer = services.customer_message_receive(ticket=ticket, body="谢谢", channel="portal")
    assert list(selectors.public_messages(ticket)) == [reply, customer]


# ---------------------------------------------------------------- the customer's messages


def test_the_same_message_id_twice_is_kept_once(ticket):
    first = services.customer_message_receive(
        ticket=ticket, body="第一封", channel="email", message_id="<m1@customer.cn>"
    )
    again = services.customer_message_receive(
        ticket=ticket, body="第一封", channel="email", message_id="m1@customer.cn"
    )
    assert again.pk == first.pk
    assert Message.objects.count() == 1


def test_the_database_refuses_a_second_row_with_the_same_message_id(ticket):
    Message.objects.create(ticket=ticket, kind=MessageKind.CUSTOMER, body="a", message_id="<x@y>")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(ticket=ticket, kind=MessageKind.CUSTOMER, body="b", message_id="<x@y>")
    # Empty Message-IDs (notes, portal messages) may repeat.
    Message.objects.create(ticket=ticket, kind=MessageKind.NOTE, body="c")
    Message.objects.create(ticket=ticket, kind=MessageKind.NOTE, body="d")


def test_customer_message_is_kept_verbatim(ticket):
    text = "  第一行\n\n<b>不是HTML</b>  \n"
    message = services.customer_message_receive(ticket=ticket, body=text, channel="portal")
    assert message.body == text


def test_an_unknown_channel_is_refused(ticket):
    with pytest.raises(ValidationError):
        services.customer_message_receive(ticket=ticket, body="x", channel="fax")


@pytest.mark.parametrize("stage", [Stage.EVALUATION, Stage.CLOSED])
def test_a_customer_message_reopens_a_resolved_or_closed_ticket(ticket, engineer, stage):
    core.ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="开始", by=engineer)
    # Closing needs a verified resolution (issue 14 §6).
    Verification.objects.create(ticket=ticket, verified_by=engineer, method="customer")
    core.ticket_change_stage(ticket=ticket, to_stage=stage, reason="已解决", by=engineer)
    services.customer_message_receive(ticket=ticket, body="问题又出现了", channel="email")
    ticket.refresh_from_db()
    assert ticket.stage == Stage.DIAGNOSIS
    change = StageChange.objects.filter(ticket=ticket).last()
    assert (change.from_stage, change.to_stage, change.reason) == (stage, Stage.DIAGNOSIS, "客户回复了。")


def test_a_customer_message_resumes_an_on_hold_ticket_where_it_was(ticket, engineer):
    core.ticket_change_stage(ticket=ticket, to_stage=Stage.ANALYSIS, reason="分析", by=engineer)
    core.ticket_change_stage(ticket=ticket, to_stage=Stage.ON_HOLD, reason="等客户", by=engineer)
    services.customer_message_receive(ticket=ticket, body="日志在附件", channel="portal")
    ticket.refresh_from_db()
    assert ticket.stage == Stage.ANALYSIS


def test_a_customer_message_leaves_an_open_ticket_in_its_stage(ticket):
    services.customer_message_receive(ticket=ticket, body="补充", channel="portal")
    ticket.refresh_from_db()
    assert ticket.stage == Stage.NEW
    assert not StageChange.objects.filter(ticket=ticket).exists()


# ---------------------------------------------------------------- which ticket a mail answers


def test_ticket_for_mail_by_our_message_id_then_references_then_subject(ticket, engineer):
    other = log_ticket(engineer, email="x@example.com")
    reply = services.reply_send(ticket=ticket, body="回复", by=engineer)
    stranger = "someone@elsewhere.example"

    def answered(subject="", in_reply_to="", references="", sender="x@example.com"):
        return services.ticket_for_mail(
            subject=subject, in_reply_to=in_reply_to, references=references, sender=sender
        )

    # A Message-ID of ours is not guessable: whoever answers it was on the thread.
    assert answered(in_reply_to=reply.message_id, sender=stranger) == ticket
    assert answered(in_reply_to="<unknown@x>", references=f"<a@b> {reply.message_id}") == ticket
    # Headers beat the subject; the subject's number is the fallback.
    assert answered(subject=f"Re: [{other.number}] x", in_reply_to=reply.message_id) == ticket
    assert answered(subject=f"回复:[{other.number}] 登录", in_reply_to="<no@where>") == other
    assert answered(subject="Hello") is None
    assert answered(subject="[TS-19990101-0001] gone") is None


def test_ticket_for_mail_knows_the_customers_own_message_ids(ticket):
    services.customer_message_receive(ticket=ticket, body="x", channel="email", message_id="<c1@customer.cn>")
    assert (
        services.ticket_for_mail(subject="", in_reply_to="", references="<c1@customer.cn>", sender="")
        == ticket
    )


def test_a_ticket_number_in_the_subject_counts_only_from_a_sender_known_on_the_ticket(engineer):
    """Ticket numbers are easy to guess: a stranger's "[TS-…]" must not join someone else's ticket."""
    ticket = log_ticket(engineer, email="Wang@TSA.example.com", details="13800000000, li@tsa.example.com")
    ContactFactory(customer=ticket.customer, name="赵工", email="zhao@tsa.example.com")
    services.customer_message_receive(
        ticket=ticket, body="x", channel="email", from_address="boss@tsa-group.example.com"
    )
    subject = f"Re: [{ticket.number}] 登录"

    def answered(sender):
        return services.ticket_for_mail(subject=subject, in_reply_to="", references="", sender=sender)

    assert answered("wang@tsa.example.com") == ticket  # the ticket's contact, whatever the case
    assert answered("zhao@tsa.example.com") == ticket  # a colleague at the same customer
    assert answered("LI@tsa.example.com") == ticket  # the address in the contact details
    assert answered("boss@tsa-group.example.com") == ticket  # wrote to this ticket before
    assert answered("attacker@evil.example") is None
    assert answered("g@tsa.example.com") is None  # a tail of the contact's address is not the address
    assert answered("i@tsa.example.com") is None  # nor a tail of an address in the details
    assert answered("") is None


# ---------------------------------------------------------------- canned replies


def test_canned_reply_placeholders_are_filled(ticket, engineer):
    canned = services.canned_reply_save(
        by=engineer, title="已收到", body="{contact}您好,{customer}的问题{ticket}由{engineer}处理。{unknown}"
    )
    text = services.canned_reply_render(canned=canned, ticket=ticket, engineer=engineer)
    assert text == (
        f"{ticket.contact.name}您好,{ticket.customer.name}的问题{ticket.number}由{engineer.display_name}处理。{{unknown}}"
    )


def test_shared_canned_replies_are_for_managers_personal_ones_for_their_owner(engineer, manager):
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(by=engineer, title="t", body="b", shared=True)
    shared = services.canned_reply_save(by=manager, title="共享", body="b", shared=True)
    mine = services.canned_reply_save(by=engineer, title="我的", body="b")
    theirs = services.canned_reply_save(by=UserFactory(role="engineer"), title="别人的", body="b")
    assert list(selectors.canned_replies_for(engineer)) == [shared, mine]
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(by=engineer, title="改", body="b", canned=shared)
    with pytest.raises(PermissionDenied):
        services.canned_reply_delete(by=engineer, canned=theirs)
    services.canned_reply_delete(by=engineer, canned=mine)
