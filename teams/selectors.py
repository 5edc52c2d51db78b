"""Reads of the teams app: each a fixed number of queries, whatever the number of teams or members."""

from django.db.models import BooleanField, Count, Exists, OuterRef, Q, Value

from toolkit import chapters
from toolkit.models import User

from .forms import people
from .models import Follower, Membership, RoutingRule, Team, TicketTeam
from .routing import open_load


def teams_overview():
    return Team.objects.select_related("lead").annotate(
        member_count=Count("memberships", distinct=True),
        away_count=Count("memberships", filter=Q(memberships__away=True), distinct=True),
        rule_count=Count("rules", distinct=True),
    )


def team_members(team: Team) -> list[Membership]:
    """The members with their weighted open load (two queries)."""
    memberships = list(team.memberships.select_related("user").order_by("user__first_name", "user_id"))
    load = open_load([m.user for m in memberships])
    for membership in memberships:
        membership.load = load.get(membership.user_id, 0)  # type: ignore[attr-defined]
    return memberships


def rules_in_order():
    return RoutingRule.objects.select_related("team", "customer").order_by("order", "pk")


def ticket_team_link(ticket) -> TicketTeam | None:
    loaded = chapters.loaded_relation(ticket, "team_link")  # with its team, on the ticket page
    if loaded is not chapters.NOT_LOADED:
        return loaded
    return TicketTeam.objects.filter(ticket=ticket).select_related("team").first()


def followers(ticket) -> list[Follower]:
    return list(Follower.objects.filter(ticket=ticket).select_related("user").order_by("added_at", "pk"))


def owner_candidates(ticket, team: Team | None, *, keep_owner: bool = False):
    """Everyone who may own it, the ticket's team first (then by name); the owner left out unless
    `keep_owner` (the ticket page's card lists collaborators from the same rows)."""
    in_team = (
        Exists(Membership.objects.filter(team=team, user=OuterRef("pk"), away=False))
        if team is not None
        else Value(False, output_field=BooleanField())
    )
    return (
        (people() if keep_owner else people().exclude(pk=ticket.owner_id))
        .annotate(in_team=in_team)
        .order_by("-in_team", "first_name", "username")
    )


def my_memberships(user: User):
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")
