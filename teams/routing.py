"""Which team and which member a new ticket goes to.

``route`` walks the active rules in order (first match wins), then picks a member of the matched
team by its strategy, skipping members marked away and inactive accounts:

- round robin: the next member by user id after the one given the team's last ticket (wrapping);
- least loaded: the fewest open tickets weighted by priority (P0=4, P1=3, P2=2, P3=1), ties to the
  lowest user id.

With commit=False nothing changes (the intake form's live preview); with commit=True the team row is
locked (select_for_update) for the caller's transaction and the round-robin cursor moves, so two
tickets created at the same moment go to two people. No member available: the team without owner,
and the caller falls back to its own choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Sum, Value, When

from toolkit.choices import Priority, Stage
from toolkit.models import Customer, User

from .choices import Strategy
from .models import RoutingRule, Team, TicketTeam

PRIORITY_WEIGHT = {Priority.P0: 4, Priority.P1: 3, Priority.P2: 2, Priority.P3: 1}


@dataclass(frozen=True)
class Route:
    team: Team | None = None
    owner: User | None = None
    rule: RoutingRule | None = None


def _customer_matches(rule: RoutingRule, customer: Any) -> bool:
    if rule.customer_id is None:
        return True
    if isinstance(customer, Customer):
        return customer.pk == rule.customer_id
    if isinstance(customer, int):
        return customer == rule.customer_id
    if isinstance(customer, str) and rule.customer is not None:
        return customer.strip().casefold() == rule.customer.name.casefold()
    return False


def rule_matches(rule: RoutingRule, *, problem_type="", customer=None, source="", text="") -> bool:
    if rule.problem_type and rule.problem_type != (problem_type or ""):
        return False
    if rule.source and rule.source != (source or ""):
        return False
    if not _customer_matches(rule, customer):
        return False
    words = rule.keyword_list()
    return not words or any(word in text for word in words)


def matching_rule(*, problem_type="", customer=None, source="", description="", error_message=""):
    """The first active rule of an active team that matches, or None (one query)."""
    text = f"{description or ''}\n{error_message or ''}".casefold()
    rules = RoutingRule.objects.filter(active=True, team__active=True).select_related("team", "customer")
    for rule in rules.order_by("order", "pk"):
        if rule_matches(rule, problem_type=problem_type, customer=customer, source=source, text=text):
            return rule
    return None


def available_members(team: Team) -> list[User]:
    """Members who may be given a ticket now: active accounts not marked away, by user id."""
    return list(
        User.objects.filter(memberships__team=team, memberships__away=False, is_active=True).order_by("pk")
    )


def open_load(users: list[User]) -> dict[int, int]:
    """Each user's open tickets weighted by priority (one query)."""
    weight = Case(
        *[When(owned_tickets__priority=code, then=Value(w)) for code, w in PRIORITY_WEIGHT.items()],
        default=Value(1),
        output_field=IntegerField(),
    )
    rows = (
        User.objects.filter(pk__in=[user.pk for user in users])
        .annotate(load=Sum(weight, filter=Q(owned_tickets__stage__in=Stage.open_stages())))
        .values_list("pk", "load")
    )
    return {pk: load or 0 for pk, load in rows}


def pick_member(team: Team, *, commit: bool) -> User | None:
    members = available_members(team)
    if not members:
        return None
    if team.strategy == Strategy.LEAST_LOADED:
        load = open_load(members)
        chosen = min(members, key=lambda user: (load.get(user.pk, 0), user.pk))
    else:
        chosen = next((user for user in members if user.pk > team.last_assigned_id), members[0])
    if commit:
        team.last_assigned_id = chosen.pk
        team.save(update_fields=["last_assigned_id"])
    return chosen


def route(
    *, problem_type="", customer=None, source="", description="", error_message="", commit: bool = False
) -> Route:
    """The team and owner for a new ticket with these fields (see the module's notes)."""
    rule = matching_rule(
        problem_type=problem_type,
        customer=customer,
        source=source,
        description=description,
        error_message=error_message,
    )
    if rule is None:
        return Route()
    if not commit:
        return Route(team=rule.team, owner=pick_member(rule.team, commit=False), rule=rule)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=rule.team_id)
        return Route(team=team, owner=pick_member(team, commit=True), rule=rule)


def route_to_team(team: Team, *, commit: bool = True) -> User | None:
    """A member of this team by its strategy (the cursor moves when commit=True)."""
    if not commit:
        return pick_member(team, commit=False)
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        return pick_member(locked, commit=True)


def attach(*, ticket, team: Team | None) -> TicketTeam | None:
    """Record the ticket's team (replacing an earlier one); None does nothing."""
    if team is None:
        return None
    link, _created = TicketTeam.objects.update_or_create(ticket=ticket, defaults={"team": team})
    return link


def ticket_team(ticket) -> Team | None:
    link = TicketTeam.objects.filter(ticket=ticket).select_related("team").first()
    return link.team if link else None
