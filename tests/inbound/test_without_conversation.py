"""Inbound mail in an installation without the conversation app: nothing records who may write on a
ticket, and nothing could keep a reply, so a ticket number in the subject joins no ticket: the mail
opens a ticket of its own that names the number (before, it matched the number without asking who
sent it, then failed)."""

import pytest

from inbound import services
from inbound.models import InboundStatus
from tests.factories import TicketFactory, UserFactory
from tests.inbound.conftest import make_mail
from toolkit.choices import Stage
from toolkit.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_number_in_the_subject_opens_a_ticket_of_its_own(monkeypatch):
    UserFactory(username="boss", role="manager")
    existing = TicketFactory(number="TS-20261101-0007", stage=Stage.CLOSED)  # not today's numbering
    monkeypatch.setattr(services, "_conversation", lambda: None)
    mail, _taken = services.mail_take(
        raw=make_mail(subject=f"Re: [{existing.number}] 请点击链接", sender="Mallory <m@evil.example>")
    )
    assert mail.status == InboundStatus.PROCESSED, mail.error
    assert not mail.is_reply
    assert mail.ticket != existing and mail.ticket.contact.email == "m@evil.example"
    assert existing.number in mail.ticket.description and existing.number in mail.note
    assert Ticket.objects.get(pk=existing.pk).stage == Stage.CLOSED
