import pytest

from teams.choices import Strategy
from teams.models import Membership, RoutingRule, Team
from tests.factories import UserFactory


@pytest.fixture
def people(db):
    return [UserFactory(username=f"member{i}", role="engineer") for i in range(3)]


@pytest.fixture
def db_team(people):
    team = Team.objects.create(name="数据库组", lead=people[0], strategy=Strategy.ROUND_ROBIN)
    for user in people:
        Membership.objects.create(team=team, user=user)
    return team


@pytest.fixture
def net_team(db):
    return Team.objects.create(name="网络组")


def rule(team, order, **conditions):
    return RoutingRule.objects.create(team=team, order=order, **conditions)
