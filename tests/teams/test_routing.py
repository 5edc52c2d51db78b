"""Routing: rules in order (first match wins) and each assignment strategy."""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from teams.choices import Strategy
from teams.models import Membership, Team, TicketTeam
from tests.factories import CustomerFactory, TicketFactory, UserFactory
from tests.teams.conftest import rule
from toolkit import chapters
from toolkit.choices import Priority, ProblemType, Source, Stage

route = chapters.provided("routing_route")
attach = chapters.provided("routing_attach")


def _route(commit=False, **fields):
    values = {
        "problem_type": ProblemType.FUNCTIONAL,
        "customer": None,
        "source": Source.PHONE,
        "description": "",
        "error_message": "",
    }
    return route(**(values | fields), commit=commit)


def test_rules_in_order_first_match_wins(db_team, net_team):
    rule(net_team, 10, keywords="网络, 超时 timeout")
    rule(db_team, 20, problem_type=ProblemType.PERFORMANCE)
    # Both match: the first in order wins.
    result = _route(problem_type=ProblemType.PERFORMANCE, description="查询超时")
    assert result.team == net_team and result.rule.order == 10
    assert result.owner is None  # the team has nobody: the caller falls back
    assert _route(problem_type=ProblemType.PERFORMANCE, description="报表很慢").team == db_team
    assert _route(description="登录失败").team is None


def test_moving_a_rule_changes_the_winner(db_team, net_team, manager):
    from teams import services

    first = rule(net_team, 10, keywords="慢")
    second = rule(db_team, 20, problem_type=ProblemType.PERFORMANCE)
    fields = {"problem_type": ProblemType.PERFORMANCE, "description": "系统很慢"}
    assert _route(**fields).team == net_team
    services.rule_move(by=manager, rule=second, up=True)
    assert _route(**fields).team == db_team
    first.refresh_from_db()
    assert first.order == 20


def test_keywords_match_case_insensitively_in_description_or_error(db_team, net_team):
    rule(net_team, 10, keywords="network,Timeout")
    assert _route(error_message="Gateway TIMEOUT after 30s").team == net_team
    assert _route(description="The NETWORK is down").team == net_team
    assert _route(description="time out").team is None


def test_customer_source_and_inactive_conditions(db_team, net_team):
    vip = CustomerFactory(name="华东银行")
    rule(net_team, 5, source=Source.EMAIL, active=False)
    rule(db_team, 10, customer=vip, source=Source.PHONE)
    assert _route(customer=vip).team == db_team
    assert _route(customer="华东银行").team == db_team  # a name typed at intake
    assert _route(customer=CustomerFactory(name="其他")).team is None
    assert _route(customer=vip, source=Source.EMAIL).team is None  # the email rule is inactive
    db_team.active = False
    db_team.save()
    assert _route(customer=vip).team is None


def test_preview_changes_nothing_commit_moves_the_cursor(db_team, people):
    rule(db_team, 10)
    before = _route().owner
    assert _route().owner == before == people[0]
    assert _route(commit=True).owner == people[0]
    assert _route(commit=True).owner == people[1]
    assert _route().owner == people[2]  # the preview shows who is next


def test_round_robin_is_fair_over_100_tickets(db_team, people):
    rule(db_team, 10)
    owners = Counter(_route(commit=True).owner.pk for _ in range(100))
    assert sorted(owners.values()) == [33, 33, 34]
    assert set(owners) == {user.pk for user in people}


def test_away_and_inactive_members_are_skipped(db_team, people):
    rule(db_team, 10)
    Membership.objects.filter(team=db_team, user=people[1]).update(away=True)
    people[2].is_active = False
    people[2].save()
    assert {_route(commit=True).owner for _ in range(6)} == {people[0]}
    Membership.objects.filter(team=db_team).update(away=True)
    result = _route(commit=True)
    assert result.team == db_team and result.owner is None


def test_least_loaded_weights_open_tickets_by_priority(db_team, people):
    db_team.strategy = Strategy.LEAST_LOADED
    db_team.save()
    rule(db_team, 10)
    a, b, c = people
    TicketFactory(owner=a, priority=Priority.P0)  # 4
    for _ in range(3):
        TicketFactory(owner=b, priority=Priority.P3)  # 3
    TicketFactory(owner=c, priority=Priority.P1)  # 3
    TicketFactory(owner=c, priority=Priority.P0, stage=Stage.CLOSED)  # closed: not counted
    # b and c tie at 3: the lower id.
    assert _route(commit=True).owner == b
    TicketFactory(owner=b, priority=Priority.P3)
    assert _route(commit=True).owner == c
    Membership.objects.filter(team=db_team, user=c).update(away=True)
    TicketFactory(owner=b, priority=Priority.P0)
    assert _route(commit=True).owner == a


def test_least_loaded_query_count_does_not_grow_with_members(db_team):
    db_team.strategy = Strategy.LEAST_LOADED
    db_team.save()
    rule(db_team, 10)
    for i in range(10):
        Membership.objects.create(team=db_team, user=UserFactory(username=f"extra{i}", role="engineer"))
    with CaptureQueriesContext(connection) as queries:
        _route()
    assert len(queries) <= 3


def test_attach_records_the_team_and_ignores_none(db_team, net_team):
    ticket = TicketFactory()
    assert attach(ticket=ticket, team=None) is None
    assert not TicketTeam.objects.exists()
    attach(ticket=ticket, team=db_team)
    attach(ticket=ticket, team=net_team)
    assert TicketTeam.objects.get(ticket=ticket).team == net_team
    assert chapters.provided("ticket_team")(ticket) == net_team


@pytest.mark.django_db(transaction=True)
def test_commit_locks_the_team_row(db_team):
    """With commit=True the cursor is read and moved under a lock on the team row."""
    rule(db_team, 10)
    with CaptureQueriesContext(connection) as queries:
        _route(commit=True)
    if connection.features.has_select_for_update:
        assert any("FOR UPDATE" in query["sql"] for query in queries.captured_queries)
    assert Team.objects.get(pk=db_team.pk).last_assigned_id != 0
