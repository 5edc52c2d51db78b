"""Writes of the teams app, with their permission checks: teams and members, who is away, routing
rules, followers, reassigning (转派) with a reason."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from toolkit import permissions
from toolkit import services as core
from toolkit.models import Ticket, User

from .models import Follower, Membership, RoutingRule, Team

MANAGE_TEAMS = "teams.change_team"


# ---------------------------------------------------------------- who may


def can_manage_teams(user) -> bool:
    """Managers and admins create teams, set leads, strategies and routing rules."""
    return permissions.is_manager(user) and user.has_perm(MANAGE_TEAMS)


def can_manage_members(user, team: Team) -> bool:
    """A team's lead keeps its members (and who is away) as managers do."""
    return can_manage_teams(user) or (user.is_authenticated and user.is_active and team.lead_id == user.pk)


def _ensure(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# ---------------------------------------------------------------- teams and members


@transaction.atomic
def team_save(*, by, team: Team) -> Team:
    _ensure(can_manage_teams(by), _("Only managers and administrators can change teams."))
    team.name = (team.name or "").strip()
    if not team.name:
        raise ValidationError({"name": _("Give the team a name.")})
    if Team.objects.filter(name__iexact=team.name).exclude(pk=team.pk).exists():
        raise ValidationError({"name": _("A team with this name exists already.")})
    team.save()
    if team.lead_id:
        Membership.objects.get_or_create(team=team, user_id=team.lead_id)
    return team


@transaction.atomic
def member_add(*, by, team: Team, user: User) -> Membership:
    _ensure(can_manage_members(by, team), _("Only the team's lead or a manager can change its members."))
    if not user.is_active:
        raise ValidationError({"user": _("This account is not active.")})
    membership, _created = Membership.objects.get_or_create(team=team, user=user)
    return membership


@transaction.atomic
def member_remove(*, by, team: Team, user: User) -> None:
    _ensure(can_manage_members(by, team), _("Only the team's lead or a manager can change its members."))
    if team.lead_id == user.pk:
        raise ValidationError(_("Choose another lead before removing this member."))
    Membership.objects.filter(team=team, user=user).delete()


@transaction.atomic
def member_set_away(*, by, team: Team, user: User, away: bool) -> int:
    """Mark one member away (or back) in this team: themselves, their lead or a manager."""
    _ensure(
        by.pk == user.pk or can_manage_members(by, team),
        _("Only the member, the team's lead or a manager can mark someone away."),
    )
    return Membership.objects.filter(team=team, user=user).update(away=away)


@transaction.atomic
def set_my_away(*, user: User, away: bool) -> int:
    """Mark yourself away (or back) in every team you belong to."""
    return Membership.objects.filter(user=user).update(away=away)


# ---------------------------------------------------------------- routing rules


@transaction.atomic
def rule_save(*, by, rule: RoutingRule) -> RoutingRule:
    _ensure(can_manage_teams(by), _("Only managers and administrators can change routing rules."))
    rule.keywords = ", ".join(word for word in rule.keyword_list()) if rule.keywords else ""
    if rule.pk is None:
        rule.order = (RoutingRule.objects.aggregate(top=Max("order"))["top"] or 0) + 10
    rule.save()
    return rule


@transaction.atomic
def rule_delete(*, by, rule: RoutingRule) -> None:
    _ensure(can_manage_teams(by), _("Only managers and administrators can change routing rules."))
    rule.delete()


@transaction.atomic
def rule_move(*, by, rule: RoutingRule, up: bool) -> None:
    """Swap the rule with its neighbour above (up) or below; the orders are renumbered 10, 20, …"""
    _ensure(can_manage_teams(by), _("Only managers and administrators can change routing rules."))
    rules = list(RoutingRule.objects.select_for_update().order_by("order", "pk"))
    index = next(i for i, item in enumerate(rules) if item.pk == rule.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        if item.order != position * 10:
            RoutingRule.objects.filter(pk=item.pk).update(order=position * 10)


# ---------------------------------------------------------------- followers


def follower_users(ticket) -> list[User]:
    """Who follows this ticket (the core's notifications add them; one query)."""
    return list(User.objects.filter(followed__ticket=ticket, is_active=True).order_by("pk"))


@transaction.atomic
def follow(*, ticket: Ticket, user: User, by) -> Follower:
    """Follow a ticket yourself, or add a colleague as collaborator (its owner or a manager)."""
    if not by.has_perm("toolkit.view_ticket"):
        raise PermissionDenied(_("You may not see this ticket."))
    if by.pk != user.pk and not permissions.can_reassign(by, ticket):
        raise PermissionDenied(_("Only the ticket's owner or a manager can add a collaborator."))
    if not user.is_active or not user.has_perm("toolkit.view_ticket"):
        raise ValidationError({"user": _("This person cannot work on tickets.")})
    try:
        with transaction.atomic():
            follower, _created = Follower.objects.get_or_create(
                ticket=ticket, user=user, defaults={"added_by": by}
            )
    except IntegrityError:  # two clicks at once
        follower = Follower.objects.get(ticket=ticket, user=user)
    return follower


@transaction.atomic
def unfollow(*, ticket: Ticket, user: User, by) -> None:
    if by.pk != user.pk and not permissions.can_reassign(by, ticket):
        raise PermissionDenied(_("Only the ticket's owner or a manager can remove a collaborator."))
    Follower.objects.filter(ticket=ticket, user=user).delete()


# ---------------------------------------------------------------- reassigning


@transaction.atomic
def reassign(*, ticket: Ticket, new_owner: User, reason: str, by) -> Ticket:
    """转派: hand the ticket to someone else with a reason, kept in its history; both are told."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the ticket is reassigned.")})
    if new_owner.pk == ticket.owner_id:
        raise ValidationError({"owner": _("This person owns the ticket already.")})
    if not new_owner.is_active:
        raise ValidationError({"owner": _("This account is not active.")})
    return core.ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), by=by, reason=reason, owner=new_owner)
