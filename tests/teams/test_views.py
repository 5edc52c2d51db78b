"""The teams pages and the ticket page's card: who may do what, bad input, bounded queries."""

import pytest
from django.urls import reverse

from teams.models import Follower, Membership, RoutingRule, Team, TicketTeam
from tests.factories import CustomerFactory, TicketFactory, UserFactory
from tests.teams.conftest import rule
from toolkit.choices import EventKind, ProblemType
from toolkit.models import Notification, Ticket


def test_the_menu_offers_teams_to_service_roles(engineer_client, client, no_role_user):
    assert reverse("teams:list") in engineer_client.get(reverse("teams:list")).content.decode()
    client.force_login(no_role_user)
    assert client.get(reverse("teams:list")).status_code == 403


def test_a_manager_creates_a_team_and_an_engineer_only_reads(client, manager, engineer, people):
    client.force_login(manager)
    response = client.post(
        reverse("teams:list"),
        {"name": "数据库组", "lead": people[0].pk, "strategy": "least_loaded", "active": "on"},
    )
    team = Team.objects.get()
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    assert team.lead == people[0] and Membership.objects.filter(team=team, user=people[0]).exists()
    # The same name again (case aside) is refused with a message, not a 500.
    again = client.post(reverse("teams:list"), {"name": "数据库组", "strategy": "round_robin"})
    assert again.status_code == 400 and Team.objects.count() == 1
    client.force_login(engineer)
    page = client.get(reverse("teams:list")).content.decode()
    assert "数据库组" in page and 'id="team-form"' not in page
    assert (
        client.post(reverse("teams:list"), {"name": "网络组", "strategy": "round_robin"}).status_code == 403
    )
    assert client.post(reverse("teams:member_add", args=[team.pk]), {"user": engineer.pk}).status_code == 403


def test_a_lead_manages_their_own_members_only(client, db_team, net_team, people):
    lead = people[0]
    newcomer = UserFactory(username="newcomer", role="engineer")
    client.force_login(lead)
    assert (
        client.post(reverse("teams:member_add", args=[db_team.pk]), {"user": newcomer.pk}).status_code == 302
    )
    assert Membership.objects.filter(team=db_team, user=newcomer).exists()
    client.post(reverse("teams:member_away", args=[db_team.pk, people[1].pk]), {"away": "1"})
    assert Membership.objects.get(team=db_team, user=people[1]).away
    assert (
        client.post(reverse("teams:member_add", args=[net_team.pk]), {"user": newcomer.pk}).status_code == 403
    )
    # Edit the team itself: managers only.
    assert (
        client.post(db_team.get_absolute_url(), {"name": "x", "strategy": "round_robin"}).status_code == 403
    )


def test_a_member_marks_themselves_away_not_others(client, db_team, people):
    client.force_login(people[1])
    client.post(reverse("teams:my_away"), {"away": "1"})
    assert Membership.objects.get(team=db_team, user=people[1]).away
    assert (
        client.post(reverse("teams:member_away", args=[db_team.pk, people[2].pk]), {"away": "1"}).status_code
        == 403
    )
    client.post(reverse("teams:member_away", args=[db_team.pk, people[1].pk]), {"away": "0"})
    assert not Membership.objects.get(team=db_team, user=people[1]).away


def test_rules_are_kept_moved_and_previewed(manager_client, db_team, net_team):
    customer = CustomerFactory(name="华东银行")
    url = reverse("teams:rules")
    assert (
        manager_client.post(
            url, {"team": net_team.pk, "keywords": "网络 超时,timeout", "active": "on"}
        ).status_code
        == 302
    )
    assert (
        manager_client.post(
            url, {"team": db_team.pk, "customer_name": "华东银行", "active": "on"}
        ).status_code
        == 302
    )
    first, second = RoutingRule.objects.order_by("order")
    assert first.keywords == "网络, 超时, timeout" and second.customer == customer
    bad = manager_client.post(url, {"team": db_team.pk, "customer_name": "没有这个客户"})
    assert bad.status_code == 400 and "没有这个客户" in bad.content.decode()
    preview = {
        "problem_type": ProblemType.FUNCTIONAL,
        "source": "phone",
        "customer_name": "华东银行",
        "description": "接口超时",
    }
    page = manager_client.get(url, preview).content.decode()
    assert "→ <strong>网络组</strong>" in page
    manager_client.post(reverse("teams:rule_move", args=[second.pk]), {"direction": "up"})
    page = manager_client.get(url, preview).content.decode()
    assert "→ <strong>数据库组</strong>" in page
    assert Team.objects.get(pk=db_team.pk).last_assigned_id == 0  # the preview moved nothing


def test_the_rules_page_and_the_team_list_cost_the_same_whatever_their_length(
    manager_client, db_team, django_assert_max_num_queries
):
    for i in range(12):
        team = Team.objects.create(name=f"组{i}", lead=UserFactory(username=f"lead{i}", role="engineer"))
        rule(team, i, customer=CustomerFactory(name=f"客户{i}"), keywords="a")
    with django_assert_max_num_queries(14):
        assert manager_client.get(reverse("teams:rules")).status_code == 200
    with django_assert_max_num_queries(14):
        assert manager_client.get(reverse("teams:list")).status_code == 200
    for i in range(12):
        Membership.objects.create(team=db_team, user=UserFactory(username=f"m{i}", role="engineer"))
    with django_assert_max_num_queries(16):
        assert manager_client.get(db_team.get_absolute_url()).status_code == 200


def test_the_ticket_card_follows_reassigns_with_reason_and_offers_the_team_first(
    client, db_team, people, manager
):
    owner, teammate, other = (
        people[0],
        people[1],
        UserFactory(username="outsider", first_name="外人", role="engineer"),
    )
    ticket = TicketFactory(owner=owner, recorded_by=owner)
    TicketTeam.objects.create(ticket=ticket, team=db_team)
    client.force_login(owner)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert 'id="teams-panel"' in page and "数据库组" in page
    options = page[page.index('id="teams-owner"') :]
    assert options.index(teammate.display_name) < options.index("外人")
    # No reason: refused, the owner stays, nobody is told.
    client.post(reverse("teams:reassign", args=[ticket.number]), {"owner": teammate.pk, "reason": " "})
    assert Ticket.objects.get(pk=ticket.pk).owner == owner
    client.post(reverse("teams:reassign", args=[ticket.number]), {"owner": teammate.pk, "reason": "我休假"})
    assert Ticket.objects.get(pk=ticket.pk).owner == teammate
    assert Notification.objects.filter(user=teammate, event__kind=EventKind.ASSIGNED).exists()
    # The former owner, no longer the owner, may follow but not reassign again.
    client.post(reverse("teams:follow", args=[ticket.number]))
    assert Follower.objects.filter(ticket=ticket, user=owner).exists()
    assert (
        client.post(
            reverse("teams:reassign", args=[ticket.number]), {"owner": other.pk, "reason": "x"}
        ).status_code
        == 403
    )
    client.post(reverse("teams:unfollow", args=[ticket.number]))
    assert not Follower.objects.exists()
    client.force_login(manager)
    client.post(reverse("teams:collaborator_add", args=[ticket.number]), {"user": other.pk})
    assert Follower.objects.get().user == other
    bad = client.post(reverse("teams:collaborator_add", args=[ticket.number]), {"user": "-99999999999"})
    assert bad.status_code == 302


@pytest.mark.parametrize("followers", [1, 8])
def test_the_card_costs_the_same_however_many_follow(
    client, manager, db_team, followers, django_assert_max_num_queries
):
    ticket = TicketFactory()
    TicketTeam.objects.create(ticket=ticket, team=db_team)
    for i in range(followers):
        Follower.objects.create(ticket=ticket, user=UserFactory(username=f"f{i}", role="engineer"))
    from teams.views import panel_context

    manager.refresh_from_db()
    # The ticket's team, its followers, the candidates, the viewer's groups and permissions (3).
    with django_assert_max_num_queries(7):
        context = panel_context(ticket, manager)["teams_card"]
    assert len(context["followers"]) == followers


def test_the_admin_lists_and_opens_each_model(client, db_team, people):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    ticket = TicketFactory()
    TicketTeam.objects.create(ticket=ticket, team=db_team)
    Follower.objects.create(ticket=ticket, user=people[1])
    rule(db_team, 10, keywords="慢")
    client.force_login(root)
    for model in ("team", "routingrule", "ticketteam", "follower"):
        assert client.get(reverse(f"admin:teams_{model}_changelist")).status_code == 200, model
    assert client.get(reverse("admin:teams_team_change", args=[db_team.pk])).status_code == 200
