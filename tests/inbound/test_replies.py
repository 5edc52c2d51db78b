"""A reply joins the ticket it answers (ticket number in the subject, or a Message-ID of ours or of the
customer's first mail in In-Reply-To/References) and reopens it when it was resolved."""

import email.utils

import pytest

from conversation.models import Message
from inbound import services
from inbound.models import InboundMail
from tests.factories import ContactFactory, CustomerFactory, TicketFactory
from tests.inbound.conftest import make_mail
from toolkit.choices import Stage
from toolkit.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def owner(manager):
    return manager


@pytest.fixture
def ticket(manager):
    customer = CustomerFactory(name="TSA公司")
    contact = ContactFactory(customer=customer, name="王女士", email="wang@tsa.example.com")
    return TicketFactory(customer=customer, contact=contact, owner=manager, recorded_by=manager)


def test_reply_with_the_ticket_number_in_the_subject_joins_that_ticket(dovecot, ticket):
    dovecot.deliver(make_mail(subject=f"Re: [{ticket.number}] 无法登录系统", body="今天又出现了。\n"))

    services.poll_once()

    assert Ticket.objects.count() == 1
    message = Message.objects.get(ticket=ticket)
    assert message.body.rstrip("\n") == "今天又出现了。"
    assert message.from_address == "wang@tsa.example.com"
    mail = InboundMail.objects.get()
    assert mail.ticket == ticket and mail.is_reply


def test_a_strangers_mail_naming_a_ticket_opens_its_own_and_leaves_that_ticket_alone(dovecot, ticket):
    """Ticket numbers are easy to guess: a sender not known on the ticket cannot post into its
    conversation, reopen it or notify its owner by putting its number in the subject."""
    Ticket.objects.filter(pk=ticket.pk).update(stage=Stage.CLOSED)
    dovecot.deliver(
        make_mail(subject=f"Re: [{ticket.number}] 请点击链接", sender="Mallory <mallory@evil.example>")
    )

    services.poll_once()

    ticket.refresh_from_db()
    assert ticket.stage == Stage.CLOSED
    assert not Message.objects.filter(ticket=ticket).exists()
    mail = InboundMail.objects.get()
    assert not mail.is_reply and mail.ticket != ticket
    assert mail.ticket.contact.email == "mallory@evil.example"
    assert ticket.number in mail.ticket.description  # the subject, so nothing is lost
    assert ticket.number in mail.note


def test_reply_to_a_mail_we_sent_joins_that_ticket_without_a_number(dovecot, ticket):
    ours = Message.objects.create(
        ticket=ticket, kind="reply", channel="email", body="请重试", message_id="<TS-1.abc@desk.example.com>"
    )
    dovecot.deliver(make_mail(subject="Re: 请重试", headers={"In-Reply-To": ours.message_id}))

    services.poll_once()

    assert Ticket.objects.count() == 1
    assert Message.objects.filter(ticket=ticket, kind="customer").count() == 1


def test_follow_up_to_the_customers_own_first_mail_joins_its_ticket(dovecot):
    first_id = email.utils.make_msgid(domain="tsa.example.com")
    dovecot.deliver(make_mail(subject="无法登录系统", message_id=first_id))
    services.poll_once()
    dovecot.deliver(make_mail(subject="补充: 截图", headers={"References": first_id}))

    services.poll_once()

    ticket = Ticket.objects.get()
    assert Message.objects.filter(ticket=ticket, kind="customer").count() == 1


def test_reply_reopens_a_resolved_ticket(dovecot, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(stage=Stage.CLOSED)
    dovecot.deliver(make_mail(subject=f"Re: [{ticket.number}] 问题又出现了"))

    services.poll_once()

    ticket.refresh_from_db()
    assert ticket.stage == Stage.DIAGNOSIS
    assert Ticket.objects.count() == 1


def test_the_same_reply_twice_is_one_message(dovecot, ticket):
    raw = make_mail(subject=f"Re: [{ticket.number}] 补充")
    dovecot.deliver(raw, raw)

    services.poll_once()

    assert Message.objects.filter(ticket=ticket).count() == 1
