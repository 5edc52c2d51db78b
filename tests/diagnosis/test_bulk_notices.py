"""A bulk action tells each person once per kind of news, not once per ticket: the new owner of forty
tickets gets one notice naming how many and the first few; a ticket that is someone's only one keeps its
own notice; a refused batch tells nobody."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from diagnosis.bulk import BulkRefused, tickets_bulk_apply
from teams import services as teams
from tests.factories import TicketFactory, UserFactory
from toolkit.choices import EventKind, Stage
from toolkit.models import Event, Notification
from toolkit.notifications import event_text

pytestmark = pytest.mark.django_db


def _notices(user, kind):
    return list(Notification.objects.filter(user=user, event__kind=kind).select_related("event"))


@pytest.fixture
def people(db):
    return {
        name: UserFactory(username=name, first_name=name, role="engineer", email=f"{name}@example.com")
        for name in ("li", "wang", "zhao", "zhang")
    }


def test_a_bulk_assign_tells_the_new_owner_once_and_each_previous_owner_once(manager, people):
    li, wang, zhao, zhang = people.values()
    lis = [TicketFactory(owner=li) for _ in range(6)]
    wangs = [TicketFactory(owner=wang)]
    teams.follow(ticket=lis[0], user=zhang, by=zhang)
    tickets_bulk_apply(
        ticket_ids=[t.pk for t in [*lis, *wangs]], action="assign", owner=zhao, reason="李工休假", by=manager
    )
    (assigned,) = _notices(zhao, EventKind.ASSIGNED)
    assert assigned.event.ticket is None and assigned.event.params["count"] == 7
    assert assigned.link == f"{reverse('diagnosis:list')}?owner={zhao.pk}"
    with translation.override("en"):
        text = event_text(assigned.event)
    numbers = sorted(t.number for t in [*lis, *wangs])
    assert text.line.startswith(f"{manager.display_name} assigned 7 tickets to you: {numbers[0]}, ")
    assert text.line.endswith("and 2 more") and "Reason: 李工休假" in text.details
    with translation.override("zh-hans"):
        assert "等另外 2 个" in event_text(assigned.event).line
    # Li lost six: one notice; Wang lost one: that ticket's own notice.
    (li_away,) = _notices(li, EventKind.REASSIGNED_AWAY)
    assert li_away.event.params["count"] == 6 and "zhao" in li_away.event.params["new_owner"]
    assert li_away.link == f"{reverse('diagnosis:list')}?owner={zhao.pk}"  # where they went
    (wang_away,) = _notices(wang, EventKind.REASSIGNED_AWAY)
    assert wang_away.event.ticket_id == wangs[0].pk and "count" not in wang_away.event.params
    # A follower of one ticket hears of that one.
    (followed,) = _notices(zhang, EventKind.REASSIGNED_AWAY)
    assert followed.event.ticket_id == lis[0].pk
    # One e-mail per notice, not per ticket.
    assert Event.objects.get(pk=assigned.event_id).deliveries.count() == 1


def test_a_bulk_stage_change_tells_the_owner_once(manager, people):
    li = people["li"]
    tickets = [TicketFactory(owner=li, stage=Stage.DIAGNOSIS) for _ in range(3)]
    tickets_bulk_apply(
        ticket_ids=[t.pk for t in tickets], action="stage", to_stage="analysis", reason="需要分析", by=manager
    )
    (moved,) = _notices(li, EventKind.STAGE_CHANGED)
    with translation.override("zh-hans"):
        line = event_text(moved.event).line
    assert "3 个问题" in line and "“需求分析”" in line
    # Linked to the table of Li's tickets in that stage, which the link's filter really selects.
    assert moved.link == f"{reverse('diagnosis:list')}?stage=analysis&owner={li.pk}"
    client = Client()
    client.force_login(li)
    page = client.get(moved.link).content.decode()
    assert all(ticket.number in page for ticket in tickets)
    assert 'id="filter-errors"' not in page


def test_a_follower_of_several_moved_tickets_is_linked_to_their_stage(manager, people):
    li, wang, zhang = people["li"], people["wang"], people["zhang"]
    tickets = [TicketFactory(owner=owner, stage=Stage.DIAGNOSIS) for owner in (li, wang)]
    for ticket in tickets:
        teams.follow(ticket=ticket, user=zhang, by=zhang)
    tickets_bulk_apply(
        ticket_ids=[t.pk for t in tickets], action="stage", to_stage="analysis", reason="需要分析", by=manager
    )
    (moved,) = _notices(zhang, EventKind.STAGE_CHANGED)
    assert moved.link == f"{reverse('diagnosis:list')}?stage=analysis"


def test_a_refused_batch_tells_nobody(manager, people):
    li, wang = people["li"], people["wang"]
    open_ticket = TicketFactory(owner=li, stage=Stage.DIAGNOSIS)
    closed = TicketFactory(owner=li, stage=Stage.CANCELLED)
    with pytest.raises(BulkRefused):
        tickets_bulk_apply(
            ticket_ids=[open_ticket.pk, closed.pk],
            action="stage",
            to_stage="analysis",
            reason="不该动",
            by=manager,
        )
    assert not Notification.objects.exists() and not Event.objects.exists()
    # Outside a bulk action the single notices are unchanged.
    from toolkit.services import ticket_change_stage

    ticket_change_stage(ticket=open_ticket, to_stage="analysis", reason="单个", by=manager)
    (single,) = _notices(li, EventKind.STAGE_CHANGED)
    assert single.event.ticket_id == open_ticket.pk
    assert not _notices(wang, EventKind.STAGE_CHANGED)


def test_the_batch_notice_is_mailed_once_and_shown_in_the_bell(client, manager, people):
    from django.core import mail

    from toolkit import notifications
    from toolkit.choices import DeliveryStatus
    from toolkit.models import Delivery

    li, zhao = people["li"], people["zhao"]
    tickets = [TicketFactory(owner=li) for _ in range(2)]
    ids = [t.pk for t in tickets]
    tickets_bulk_apply(ticket_ids=ids, action="assign", owner=zhao, reason="休假", by=manager)
    (delivery,) = Delivery.objects.filter(recipient="zhao@example.com")
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    (message,) = mail.outbox
    numbers = sorted(t.number for t in tickets)
    assert message.subject == f"{manager.display_name} 将 2 个问题分派给你:{numbers[0]}, {numbers[1]}"
    assert f"/diagnosis/?owner={zhao.pk}" in message.body
    client.force_login(zhao)
    page = client.get(reverse("notifications")).content.decode()
    assert f"将 2 个问题分派给你:{numbers[0]}, {numbers[1]}" in page
