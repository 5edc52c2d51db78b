"""Tickets opened by mail and by the customer's report form are routed first, with their old fallback."""

import pytest
from django.test import Client
from django.urls import reverse

from inbound import services as inbound
from portal import services as portal
from teams.models import Membership, Team, TicketTeam
from tests.factories import CustomerFactory, UserFactory
from tests.inbound.conftest import make_mail
from tests.portal.conftest import answers
from tests.teams.conftest import rule
from toolkit.choices import EventKind, Source
from toolkit.models import Notification, Ticket


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def network(db):
    team = Team.objects.create(name="网络组")
    zhang = UserFactory(username="zhang", role="engineer")
    Membership.objects.create(team=team, user=zhang)
    rule(team, 10, keywords="网络,超时,timeout")
    return team, zhang


def test_a_mail_about_the_network_goes_to_the_network_team(network):
    team, zhang = network
    UserFactory(username="boss", role="manager")  # the old fallback
    mail, _taken = inbound.mail_take(raw=make_mail(subject="接口超时", body="下单时一直转圈\n"))
    ticket = Ticket.objects.get()
    assert ticket.source == Source.EMAIL
    assert ticket.owner == zhang and TicketTeam.objects.get(ticket=ticket).team == team
    assert Notification.objects.filter(user=zhang, event__kind=EventKind.ASSIGNED).exists()


def test_a_mail_no_rule_matches_keeps_the_fallback_owner(network):
    boss = UserFactory(username="boss", role="manager")
    inbound.mail_take(raw=make_mail(subject="无法登录系统"))
    ticket = Ticket.objects.get()
    assert ticket.owner == boss and not TicketTeam.objects.exists()


def test_a_routed_team_with_everyone_away_falls_back_but_keeps_the_team(network):
    team, zhang = network
    Membership.objects.filter(team=team).update(away=True)
    boss = UserFactory(username="boss", role="manager")
    inbound.mail_take(raw=make_mail(subject="网络中断"))
    ticket = Ticket.objects.get()
    assert ticket.owner == boss and TicketTeam.objects.get(ticket=ticket).team == team


def test_a_customer_report_is_routed(network, engineer):
    team, zhang = network
    customer = CustomerFactory(name="TSA公司")
    issued = portal.report_link_issue(customer=customer, by=engineer)
    data = answers(description="访问报表时网络超时")
    response = Client().post(reverse("portal_public:report", kwargs={"token": issued.token}), data)
    assert response.status_code == 302, response.content.decode()[:500]
    ticket = Ticket.objects.get()
    assert ticket.owner == zhang and TicketTeam.objects.get(ticket=ticket).team == team


def test_a_customer_report_no_rule_matches_goes_to_the_issuer(network, engineer):
    customer = CustomerFactory(name="TSA公司")
    issued = portal.report_link_issue(customer=customer, by=engineer)
    response = Client().post(reverse("portal_public:report", kwargs={"token": issued.token}), answers())
    assert response.status_code == 302
    assert Ticket.objects.get().owner == engineer
