"""Canned replies kept per team: usable by its members, kept by its lead and managers."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from conversation import selectors, services
from conversation.models import CannedReply
from teams.models import Membership
from tests.factories import TicketFactory, UserFactory


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", role="engineer")


def test_a_teams_replies_are_for_its_members_only(db_team, people, outsider, manager):
    lead, member = people[0], people[1]
    team_reply = services.canned_reply_save(
        by=lead, title="数据库巡检", body="{contact}您好,{ticket}已由{engineer}接手", team=db_team
    )
    shared = services.canned_reply_save(by=manager, title="共享", body="您好", shared=True)
    assert team_reply.owner is None and team_reply.team == db_team and not team_reply.is_shared
    assert set(selectors.canned_replies_for(member)) == {team_reply, shared}
    assert list(selectors.canned_replies_for(outsider)) == [shared]
    # Placeholders still filled for a team's reply.
    ticket = TicketFactory()
    text = services.canned_reply_render(canned=team_reply, ticket=ticket, engineer=member)
    assert ticket.number in text and member.display_name in text


def test_only_the_lead_or_a_manager_keeps_a_teams_replies(db_team, people, outsider, manager):
    lead, member = people[0], people[1]
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(by=member, title="t", body="b", team=db_team)
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(by=outsider, title="t", body="b", team=db_team)
    reply = services.canned_reply_save(by=manager, title="t", body="b", team=db_team)
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(by=member, title="改", body="b", canned=reply)
    with pytest.raises(PermissionDenied):
        services.canned_reply_delete(by=outsider, canned=reply)
    services.canned_reply_save(by=lead, title="改过", body="b", canned=reply, team=db_team)
    services.canned_reply_delete(by=lead, canned=reply)
    assert not CannedReply.objects.exists()


def test_the_page_and_the_ticket_card_follow_the_same_rule(client, db_team, people, outsider):
    lead = people[0]
    client.force_login(lead)
    url = reverse("conversation:canned")
    assert 'name="team"' in client.get(url).content.decode()
    assert (
        client.post(
            url, {"title": "网络排查", "body": "请{contact}重启路由器", "team": db_team.pk}
        ).status_code
        == 302
    )
    reply = CannedReply.objects.get()
    assert reply.team == db_team and reply.owner is None
    ticket = TicketFactory()
    client.force_login(people[1])
    page = client.get(url).content.decode()
    assert "网络排查" in page and 'name="team"' not in page  # a member uses it but does not keep it
    assert f"请{ticket.contact.name}重启路由器" in client.get(ticket.get_absolute_url()).content.decode()
    assert (
        client.post(
            reverse("conversation:canned_edit", args=[reply.pk]), {"title": "x", "body": "y"}
        ).status_code
        == 403
    )
    client.force_login(outsider)
    assert "网络排查" not in client.get(url).content.decode()
    assert "重启路由器" not in client.get(ticket.get_absolute_url()).content.decode()
    # A member who is not the lead has no team field: a posted team is ignored, the reply is theirs alone.
    Membership.objects.create(team=db_team, user=outsider)
    assert client.post(url, {"title": "偷偷", "body": "b", "team": db_team.pk}).status_code == 302
    sneaky = CannedReply.objects.get(title="偷偷")
    assert sneaky.team is None and sneaky.owner == outsider
