"""Event notifications (toolkit.events.notify): who is told, in which language, exactly once."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.factories import CustomerFactory, TicketFactory, UserFactory
from toolkit import events, notifications
from toolkit.choices import Channel, DeliveryStatus, EventKind, WebhookKind
from toolkit.models import ChatWebhook, Delivery, Event, Notification

SITE = "https://desk.example.com"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE + "/"


@pytest.fixture
def boss(db):
    return UserFactory(
        username="boss", first_name="张经理", job_title="", email="boss@example.com", role="manager"
    )


@pytest.fixture
def li(db):
    return UserFactory(
        username="li", first_name="李工", job_title="", email="li@example.com", role="engineer"
    )


@pytest.fixture
def alice(db):
    return UserFactory(
        username="alice",
        first_name="Alice",
        job_title="",
        email="alice@example.com",
        language="en",
        role="engineer",
    )


@pytest.fixture
def ticket(db, li):
    return TicketFactory(owner=li, recorded_by=li, customer=CustomerFactory(name="TSA公司"))


def test_recipients_are_told_once_each_never_the_actor_nor_inactive_users(ticket, boss, li, alice):
    gone = UserFactory(username="gone", email="gone@example.com", is_active=False)
    event = events.notify(
        kind=EventKind.ASSIGNED, recipients=[li, alice, li, gone, boss, None], actor=boss, ticket=ticket
    )
    assert event is not None
    assert event.params == {"actor": "张经理", "number": ticket.number, "customer": "TSA公司"}
    assert event.link == ticket.get_absolute_url()
    told = sorted(Notification.objects.filter(event=event).values_list("user__username", flat=True))
    assert told == ["alice", "li"]
    emails = Delivery.objects.filter(event=event, channel=Channel.EMAIL)
    assert sorted(emails.values_list("recipient", "language")) == [
        ("alice@example.com", "en"),
        ("li@example.com", "zh-hans"),
    ]


def test_nobody_to_tell_records_nothing(ticket, li):
    assert events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=li, ticket=ticket) is None
    assert not Event.objects.exists()


def test_an_unknown_kind_is_refused(ticket, li, boss):
    with pytest.raises(ValueError):
        events.notify(kind="promoted", recipients=[li], actor=boss, ticket=ticket)
    assert not Event.objects.exists()


def test_contact_details_never_reach_the_text(ticket, li, boss):
    event = events.notify(
        kind=EventKind.REASSIGNED_AWAY,
        recipients=[li],
        actor=boss,
        ticket=ticket,
        params={"new_owner": "王工", "reason": "客户 13856785678 / wang@tsa.example.com 要求换人"},
    )
    assert "13856785678" not in event.params["reason"]
    assert "wang@tsa.example.com" not in event.params["reason"]
    assert "138****5678" in event.params["reason"]


def test_notifications_in_the_recipients_language(client, ticket, boss, li, alice):
    events.notify(
        kind=EventKind.REASSIGNED_AWAY,
        recipients=[li, alice],
        actor=boss,
        ticket=ticket,
        params={"new_owner": "王工", "reason": "客户要求"},
    )
    client.force_login(alice)
    page = client.get(reverse("notifications")).content.decode()
    assert f"张经理 reassigned {ticket.number} (TSA公司) to 王工" in page
    client.force_login(li)
    page = client.get(reverse("notifications")).content.decode()
    assert f"张经理 将 {ticket.number}(TSA公司)转派给 王工" in page


def test_the_same_event_fans_out_once_however_often_it_runs(ticket, boss, li):
    event = events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    again = notifications.event_fan_out(event=event, users=[li])
    assert Notification.objects.filter(event=event).count() == 1
    assert Delivery.objects.filter(event=event).count() == 1
    assert again == list(Delivery.objects.filter(event=event).values_list("pk", flat=True))


def test_a_delivery_sent_twice_goes_out_once(ticket, boss, li):
    event = events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    delivery = Delivery.objects.get(event=event)
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li@example.com"]
    assert message.subject == f"张经理 将 {ticket.number}(TSA公司)分派给你"
    assert f"{SITE}/diagnosis/{ticket.number}/" in message.body


def test_a_row_for_both_a_reminder_and_an_event_or_neither_is_refused(ticket, li):
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(channel=Channel.EMAIL, recipient="li@example.com")


def test_chat_goes_to_active_webhooks_only_when_asked(ticket, boss, li):
    on = ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url="http://127.0.0.1:9/hook")
    ChatWebhook.objects.create(
        name="旧群", kind=WebhookKind.WECOM, url="http://127.0.0.1:9/old", active=False
    )
    quiet = events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    assert not Delivery.objects.filter(event=quiet, channel=Channel.WEBHOOK).exists()
    loud = events.notify(
        kind=EventKind.DESIGN_AWAITING_APPROVAL, recipients=[boss], actor=li, ticket=ticket, chat=True
    )
    assert list(
        Delivery.objects.filter(event=loud, channel=Channel.WEBHOOK).values_list("recipient", flat=True)
    ) == [str(on.pk)]
