"""Demo data for teams (seed_demo): the document's example teams 数据库组, 网络组, 前端组 with the demo
engineers, a few routing rules, and the open demo tickets attached to the team their rules name.

Idempotent: teams and memberships are found by name, the rules are written only while there are none
(a manager's own rules are left alone), and a ticket that has a team keeps it."""

from django.db import transaction

from toolkit.choices import ProblemType, Stage
from toolkit.models import Ticket

from .choices import Strategy
from .models import Membership, RoutingRule, Team, TicketTeam
from .routing import rule_matches

# name → (lead, members, strategy); usernames from demo.people.
TEAMS = {
    "数据库组": ("dba_wang", ["dba_wang", "ops_sun", "doc_technical_engineer"], Strategy.LEAST_LOADED),
    "网络组": ("network_chen", ["network_chen", "doc_network_engineer", "ops_sun"], Strategy.ROUND_ROBIN),
    "前端组": ("frontend_zhao", ["frontend_zhao", "engineer", "support_liu"], Strategy.ROUND_ROBIN),
}
# (team, conditions), in order: the first that matches wins.
RULES = [
    ("网络组", {"keywords": "网络, 超时, VPN, 断线, network, timeout"}),
    ("数据库组", {"keywords": "数据库, SQL, 死锁, 慢查询, database, deadlock"}),
    ("数据库组", {"problem_type": ProblemType.PERFORMANCE}),
    ("前端组", {"problem_type": ProblemType.COMPATIBILITY}),
    ("前端组", {"keywords": "页面, 按钮, 浏览器, 显示, browser, page"}),
]


@transaction.atomic
def seed(*, users) -> dict[str, Team]:
    teams = {}
    for name, (lead, members, strategy) in TEAMS.items():
        team, _created = Team.objects.get_or_create(
            name=name, defaults={"lead": users.get(lead), "strategy": strategy}
        )
        for username in members:
            if username in users:
                Membership.objects.get_or_create(team=team, user=users[username])
        teams[name] = team
    if not RoutingRule.objects.exists():
        RoutingRule.objects.bulk_create(
            RoutingRule(team=teams[name], order=(index + 1) * 10, **conditions)
            for index, (name, conditions) in enumerate(RULES)
        )
    attach_open_tickets()
    return teams


def attach_open_tickets(batch: int = 2000) -> int:
    """Each open ticket without a team gets the team its rules name now (no owner changes)."""
    rules = list(RoutingRule.objects.filter(active=True, team__active=True).select_related("customer"))
    tickets = (
        Ticket.objects.filter(stage__in=Stage.open_stages(), team_link__isnull=True)
        .only("pk", "problem_type", "customer_id", "source", "description", "error_message")
        .order_by("pk")
    )
    links = []
    for ticket in tickets.iterator(chunk_size=batch):
        text = f"{ticket.description}\n{ticket.error_message}".casefold()
        for rule in rules:
            if rule_matches(
                rule,
                problem_type=ticket.problem_type,
                customer=ticket.customer_id,
                source=ticket.source,
                text=text,
            ):
                links.append(TicketTeam(ticket_id=ticket.pk, team_id=rule.team_id))
                break
    TicketTeam.objects.bulk_create(links, batch_size=batch, ignore_conflicts=True)
    return len(links)
