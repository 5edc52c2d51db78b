"""seed_demo shows teams out of the box: the three example teams, their rules, open tickets' teams."""

from django.core.management import call_command

from teams.models import Membership, RoutingRule, Team, TicketTeam


def test_seed_demo_creates_the_example_teams_once(db, capsys):
    call_command("seed_demo", "--tickets", "40", "--no-history", verbosity=0)
    assert set(Team.objects.values_list("name", flat=True)) == {"数据库组", "网络组", "前端组"}
    assert Team.objects.get(name="数据库组").lead.username == "dba_wang"
    assert Membership.objects.filter(team__name="网络组", user__username="network_chen").exists()
    rules = RoutingRule.objects.count()
    assert rules == 5
    linked = TicketTeam.objects.count()
    assert linked > 0
    call_command("seed_demo", "--tickets", "0", verbosity=0)
    assert Team.objects.count() == 3 and RoutingRule.objects.count() == rules
    assert Membership.objects.filter(team__name="数据库组").count() == 3
    assert TicketTeam.objects.count() >= linked
