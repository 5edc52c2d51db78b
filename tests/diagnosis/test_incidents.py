"""Batch incidents (issue 14 §7): N customers reporting the same problem within the window are proposed
as one parent incident; one click groups them; an update on the parent reaches every grouped ticket's
contact once, through the conversation."""

import itertools
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversation import services as conversation
from conversation.choices import MessageKind
from conversation.models import Message
from diagnosis.incidents import incident_group, incident_proposal
from tests.factories import ContactFactory, TicketFactory, UserFactory
from toolkit.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory(username="incident-owner", first_name="赵工", role="engineer")


_numbers = itertools.count(1)


def _report(owner, minutes_ago, error="Error500:ConnectionTimeout"):
    n = next(_numbers)
    contact = ContactFactory(email=f"contact{n}@example.com", details=f"1385678{n:04d}")
    return TicketFactory(
        owner=owner,
        recorded_by=owner,
        customer=contact.customer,
        contact=contact,
        error_message=error,
        description=f"订单页面打不开 {n}",
        recorded_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_proposal_appears_at_three_customers_and_not_at_two(owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    first = _report(owner, 50)
    second = _report(owner, 30, error="error500: connectiontimeout")  # the same error, typed differently
    assert incident_proposal(first) is None
    _report(owner, 40, error="Error404:NotFound")  # another problem
    assert incident_proposal(first) is None
    third = _report(owner, 5)
    proposal = incident_proposal(second)
    assert proposal is not None
    assert proposal.customer_count == 3
    assert proposal.parent == first  # the first reported
    assert {t.pk for t in proposal.to_link} == {second.pk, third.pk}


def test_the_same_customer_twice_counts_once(owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    first = _report(owner, 50)
    _report(owner, 30)
    TicketFactory(customer=first.customer, error_message=first.error_message, recorded_at=first.recorded_at)
    assert incident_proposal(first) is None


def test_reports_outside_the_window_do_not_count(owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    settings.BATCH_INCIDENT_WINDOW_MINUTES = 60
    first = _report(owner, 200)
    _report(owner, 100)
    last = _report(owner, 10)  # 90 minutes after the middle one, 190 after the first
    assert incident_proposal(first) is None
    assert incident_proposal(last) is None


def test_the_page_proposes_and_one_click_groups_them(client, owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    tickets = [_report(owner, minutes) for minutes in (40, 20, 10)]
    client.force_login(owner)
    html = client.get(tickets[1].get_absolute_url()).content.decode()
    assert 'id="incident-proposal"' in html and "Error500:ConnectionTimeout" in html
    before = [t.history.count() for t in tickets]
    response = client.post(reverse("diagnosis:incident_group", args=[tickets[1].number]))
    assert response["Location"] == f"{tickets[0].get_absolute_url()}#incident"
    for ticket, count in zip(tickets, before, strict=True):
        ticket.refresh_from_db()
        assert ticket.history.count() == count + (0 if ticket == tickets[0] else 1)
    assert [t.parent_id for t in tickets] == [None, tickets[0].pk, tickets[0].pk]
    html = client.get(tickets[1].get_absolute_url()).content.decode()
    assert 'id="incident-proposal"' not in html
    # Nothing left to group: a second click changes nothing.
    client.post(reverse("diagnosis:incident_group", args=[tickets[1].number]))
    assert Ticket.objects.filter(parent=tickets[0]).count() == 2


def test_a_late_report_joins_the_existing_incident(owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    tickets = [_report(owner, minutes) for minutes in (40, 20, 10)]
    parent, linked = incident_group(ticket=tickets[2], by=owner)
    assert (parent, linked) == (tickets[0], 2)
    late = _report(owner, 1)
    proposal = incident_proposal(late)
    assert proposal is not None and proposal.parent == tickets[0]
    assert [t.pk for t in proposal.to_link] == [late.pk]
    assert proposal.parent_has_children


def test_a_grouped_ticket_proposes_its_own_incident_not_the_larger_one(owner, settings):
    # Two incidents of the same problem: Q holds two tickets, P one. On P's ticket the others must join
    # P; proposing Q (the larger) would leave the page's own ticket apart from them.
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    p, q, a, b, c = (_report(owner, minutes) for minutes in (50, 45, 40, 35, 30))
    Ticket.objects.filter(pk__in=[a.pk, b.pk]).update(parent=q)
    Ticket.objects.filter(pk=c.pk).update(parent=p)
    late = _report(owner, 5)
    c.refresh_from_db()
    proposal = incident_proposal(c)
    assert proposal is not None and proposal.parent == p
    assert [t.pk for t in proposal.to_link] == [late.pk]
    # On the incident's own page too.
    assert incident_proposal(p).parent == p
    # An ungrouped ticket joins the incident most of them belong to.
    assert incident_proposal(late).parent == q
    # Taking it from P's grouped ticket links the late one under P.
    assert incident_group(ticket=c, by=owner) == (p, 1)
    late.refresh_from_db()
    assert late.parent_id == p.pk


def test_the_page_says_whether_the_group_starts_or_joins_an_incident(client, owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    tickets = [_report(owner, minutes) for minutes in (40, 20, 10)]
    client.force_login(owner)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(tickets[2].get_absolute_url()).content.decode()
    assert f"group them under a parent incident ({tickets[0].number}, the first reported)" in html
    incident_group(ticket=tickets[2], by=owner)
    late = _report(owner, 1)
    html = client.get(late.get_absolute_url()).content.decode()
    assert f"add 1 ticket to the incident {tickets[0].number}" in html


def test_an_update_on_the_parent_reaches_every_contact_once(client, owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    tickets = [_report(owner, minutes) for minutes in (40, 20, 10)]
    client.force_login(owner)
    client.post(reverse("diagnosis:incident_group", args=[tickets[0].number]))
    page = client.get(tickets[0].get_absolute_url())
    token = re.search(r'name="token" value="(\w+)"', page.content.decode()).group(1)
    url = reverse("diagnosis:incident_update", args=[tickets[0].number])
    body = "数据库连接池已扩容,系统已恢复,请重试。"
    client.post(url, {"body": body, "token": token})
    client.post(url, {"body": body, "token": token})  # the same form sent twice
    for ticket in tickets:
        replies = Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY)
        assert [(r.body, r.to_address) for r in replies] == [(body, ticket.contact.email)]
    for pk in conversation.replies_due():
        conversation.reply_email_send(pk)
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        t.contact.email for t in tickets
    )


def test_an_update_is_refused_on_a_ticket_without_grouped_tickets(client, owner):
    lone = _report(owner, 5)
    client.force_login(owner)
    client.post(reverse("diagnosis:incident_update", args=[lone.number]), {"body": "已恢复"})
    assert not Message.objects.exists()


def test_the_update_form_needs_the_change_right(client, owner, settings, no_role_user):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    tickets = [_report(owner, minutes) for minutes in (40, 20, 10)]
    client.force_login(no_role_user)
    for name in ("incident_group", "incident_update"):
        response = client.post(reverse(f"diagnosis:{name}", args=[tickets[0].number]), {"body": "x"})
        assert response.status_code == 403
    assert not Message.objects.exists() and not Ticket.objects.filter(parent__isnull=False).exists()


def test_the_ticket_page_query_count_does_not_grow_with_the_batch(client, owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    first = [_report(owner, minutes) for minutes in (40, 20, 10)]
    client.force_login(owner)

    with CaptureQueriesContext(connection) as few:
        client.get(first[0].get_absolute_url())
    for minutes in range(20):
        _report(owner, minutes + 1)
    with CaptureQueriesContext(connection) as many:
        client.get(first[0].get_absolute_url())
    assert len(many) == len(few)


def test_the_proposal_masks_the_shared_text_for_whom_the_page_masks_it(client, owner, settings):
    """The proposal quotes the ticket's description: a colleague who may change tickets but not see this
    one's contact details reads it masked, as everywhere on the page; the owner reads it whole."""
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    tickets = [_report(owner, minutes, error="") for minutes in (40, 20, 10)]
    for ticket in tickets:
        Ticket.objects.filter(pk=ticket.pk).update(description="打印机报错,请回电 13812345678 张女士")
    colleague = UserFactory(username="colleague", role="engineer")
    client.force_login(colleague)
    html = client.get(tickets[1].get_absolute_url()).content.decode()
    proposal = re.search(r'id="incident-proposal".*?</span>', html, re.S).group()
    assert "138****5678" in proposal and "13812345678" not in html
    client.force_login(owner)
    proposal = re.search(
        r'id="incident-proposal".*?</span>', client.get(tickets[1].get_absolute_url()).content.decode(), re.S
    ).group()
    assert "13812345678" in proposal


def test_an_error_typed_in_quotes_is_quoted_once(client, owner, settings):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    tickets = [_report(owner, minutes, error="“打印后台处理程序服务没有运行”") for minutes in (40, 20, 10)]
    assert incident_proposal(tickets[1]).key == "打印后台处理程序服务没有运行"
    client.force_login(owner)
    html = client.get(tickets[1].get_absolute_url()).content.decode()
    assert "“打印后台处理程序服务没有运行”" in html and "““" not in html
