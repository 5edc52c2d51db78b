"""Polling a real IMAP server (Dovecot): new mail, duplicates, replies, auto-replies, broken mail."""

import pytest
from django.core.management import call_command

from inbound import services
from inbound.models import InboundMail, InboundStatus
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from tests.inbound.conftest import make_mail
from toolkit.choices import Source
from toolkit.models import Customer, Notification, Ticket

pytestmark = pytest.mark.django_db


def raw_of(mail) -> bytes:
    with mail.raw.open("rb") as handle:
        return handle.read()


@pytest.fixture(autouse=True)
def owner(manager):
    return manager


def test_new_mail_opens_one_ticket_with_the_customers_words(dovecot):
    customer = CustomerFactory(name="TSA公司")
    contact = ContactFactory(customer=customer, name="王女士", email="Wang@TSA.example.com")
    body = "登录时提示“验证码错误”,影响3名用户提交订单。\n  第二行保留缩进\n"
    dovecot.deliver(make_mail(subject="无法登录系统", body=body))

    outcome = services.poll_once()

    assert outcome.statuses == {InboundStatus.PROCESSED: 1}
    ticket = Ticket.objects.get()
    assert ticket.source == Source.EMAIL
    assert ticket.customer == customer and ticket.contact == contact
    assert ticket.description == "无法登录系统\n\n" + body.rstrip("\n")
    assert ticket.contact_details == "wang@tsa.example.com"
    mail = InboundMail.objects.get()
    assert mail.ticket == ticket and mail.status == InboundStatus.PROCESSED
    assert raw_of(mail).startswith(b"From: ")
    assert dovecot.unseen() == []  # flagged \Seen: the next poll does not read it again
    assert Notification.objects.filter(user=ticket.owner, ticket=ticket).count() == 1  # the owner is told


def test_the_same_mail_fetched_twice_or_delivered_twice_is_one_ticket(dovecot):
    raw = make_mail()
    dovecot.deliver(raw)
    services.poll_once()
    dovecot.deliver(raw)  # the same message again (same Message-ID), e.g. delivered to two aliases

    outcome = services.poll_once()

    assert outcome.already_taken == 1 and outcome.taken == 0
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1


def test_unknown_sender_gets_a_contact_under_the_unmatched_customer(dovecot):
    dovecot.deliver(
        make_mail(sender="赵先生 <zhao@unknown.example.com>"),
        make_mail(sender="赵先生 <ZHAO@unknown.example.com>", subject="又出现了"),
    )

    services.poll_once()

    first, second = Ticket.objects.order_by("pk")
    assert first.customer.unmatched and first.customer == second.customer
    assert first.contact == second.contact
    assert first.contact.name == "赵先生" and first.contact.email == "zhao@unknown.example.com"
    assert Customer.objects.filter(unmatched=True).count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; type=vacation"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"Return-Path": "<>"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
    ],
    ids=lambda headers: ":".join(headers.items().__iter__().__next__()),
)
def test_auto_replies_bounces_and_loops_open_no_ticket(dovecot, headers):
    dovecot.deliver(make_mail(subject="自动回复: 我正在休假", headers=headers))

    outcome = services.poll_once()

    assert outcome.statuses == {InboundStatus.IGNORED: 1}
    assert Ticket.objects.count() == 0
    assert InboundMail.objects.get().note
    assert dovecot.unseen() == []


def test_mail_from_our_own_address_is_a_loop(dovecot, settings):
    settings.DEFAULT_FROM_EMAIL = "Service Desk <desk@service.example.com>"
    dovecot.deliver(make_mail(sender="desk@service.example.com"))

    services.poll_once()

    assert Ticket.objects.count() == 0
    assert InboundMail.objects.get().status == InboundStatus.IGNORED


def test_auto_submitted_no_is_a_persons_mail(dovecot):
    dovecot.deliver(make_mail(headers={"Auto-Submitted": "no"}))

    services.poll_once()

    assert Ticket.objects.count() == 1


def test_a_broken_mail_is_kept_for_the_admin_and_the_next_mails_are_processed(dovecot):
    broken = (
        b"Subject: =?gb2312?B?broken\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed\r\n'
        b"\r\n"
        b"--never-closed\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    )
    dovecot.deliver(make_mail(subject="第一封"), broken, make_mail(subject="第三封"))

    outcome = services.poll_once()

    assert outcome.statuses == {InboundStatus.PROCESSED: 2, InboundStatus.FAILED: 1}
    failed = InboundMail.objects.get(status=InboundStatus.FAILED)
    assert failed.error and failed.ticket is None
    assert raw_of(failed) == broken
    assert {t.description.split("\n")[0] for t in Ticket.objects.all()} == {"第一封", "第三封"}
    assert dovecot.unseen() == []  # the broken mail does not block the mailbox


def test_fetch_mail_polls_once_and_says_what_it_did(dovecot, capsys):
    dovecot.deliver(make_mail(), make_mail(headers={"Auto-Submitted": "auto-replied"}))

    call_command("fetch_mail")

    out = capsys.readouterr().out
    assert "1" in out and Ticket.objects.count() == 1


def test_fetch_mail_without_a_mailbox_says_so_and_fails(settings):
    from django.core.management.base import CommandError

    settings.INBOUND_EMAIL_URL = ""
    with pytest.raises(CommandError, match="INBOUND_EMAIL_URL"):
        call_command("fetch_mail")


def test_default_owner_setting_names_the_owner(dovecot, settings):
    UserFactory(username="mailowner", role="engineer")
    settings.INBOUND_DEFAULT_OWNER = "mailowner"
    dovecot.deliver(make_mail())

    services.poll_once()

    assert Ticket.objects.get().owner.username == "mailowner"
