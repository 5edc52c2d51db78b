"""Teams pages (list, one team, routing rules with their preview) and the card on the ticket page
(team, followers, reassign). Thin: the writes and their permission checks are in services."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from toolkit import permissions
from toolkit.models import Ticket, User

from . import routing, selectors, services
from .forms import CollaboratorForm, MemberForm, PreviewForm, ReassignForm, RuleForm, TeamForm
from .models import Membership, RoutingRule, Team

VIEW_TEAM = "teams.view_team"
VIEW_TICKET = "toolkit.view_ticket"


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# ---------------------------------------------------------------- the ticket page's card


def panel_context(ticket, user) -> dict:
    """The team, the followers, and for the owner or a manager the reassign and collaborator forms."""
    link = selectors.ticket_team_link(ticket)
    team = link.team if link else None
    followers = selectors.followers(ticket)
    may_reassign = permissions.can_reassign(user, ticket)
    context: dict[str, Any] = {
        "team": team,
        "followers": followers,
        "following": any(f.user_id == user.pk for f in followers),
        "may_reassign": may_reassign,
    }
    if may_reassign:
        # One query for both lists: the owner candidates and, by name, the collaborator choices
        # (CollaboratorForm's people(), owner included) — the form's own choices would count and then
        # select again in the template.
        everyone = list(
            selectors.owner_candidates(ticket, team, keep_owner=True).order_by("first_name", "username")
        )
        candidates = [u for u in everyone if u.pk != ticket.owner_id]  # by name, in_team split below
        context |= {
            "team_candidates": [u for u in candidates if u.in_team],
            "other_candidates": [u for u in candidates if not u.in_team],
            "collaborator_choices": [("", "---------"), *((u.pk, u.display_name) for u in everyone)],
        }
    return {"teams_card": context}


def _ticket(number):
    return get_object_or_404(Ticket.objects.select_related("owner", "customer"), number=number)


@require_POST
@permission_required(VIEW_TICKET, raise_exception=True)
def follow(request, number):
    ticket = _ticket(number)
    services.follow(ticket=ticket, user=request.user, by=request.user)
    messages.success(
        request, _("You follow this ticket: you hear when the customer replies or it is reassigned.")
    )
    return redirect(ticket)


@require_POST
@permission_required(VIEW_TICKET, raise_exception=True)
def unfollow(request, number):
    ticket = _ticket(number)
    user = request.user
    if request.POST.get("user"):
        user = get_object_or_404(User, pk=_pk(request.POST["user"]))
    services.unfollow(ticket=ticket, user=user, by=request.user)
    messages.success(request, _("No longer following."))
    return redirect(ticket)


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_POST
@permission_required(VIEW_TICKET, raise_exception=True)
def collaborator_add(request, number):
    ticket = _ticket(number)
    form = CollaboratorForm(request.POST)
    if form.is_valid():
        try:
            services.follow(ticket=ticket, user=form.cleaned_data["user"], by=request.user)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(
                request,
                _("%(name)s follows this ticket now.") % {"name": form.cleaned_data["user"].display_name},
            )
    else:
        _form_errors(request, form)
    return redirect(ticket)


@require_POST
@permission_required("toolkit.change_ticket", raise_exception=True)
def reassign(request, number):
    ticket = _ticket(number)
    link = selectors.ticket_team_link(ticket)
    form = ReassignForm(
        request.POST, candidates=selectors.owner_candidates(ticket, link.team if link else None)
    )
    if form.is_valid():
        try:
            services.reassign(
                ticket=ticket,
                new_owner=form.cleaned_data["owner"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(
                request,
                _("Reassigned to %(name)s; both of you are told.")
                % {"name": form.cleaned_data["owner"].display_name},
            )
    else:
        _form_errors(request, form)
    return redirect(ticket)


# ---------------------------------------------------------------- teams


@permission_required(VIEW_TEAM, raise_exception=True)
def team_list(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_save(by=request.user, team=form.save(commit=False))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Team saved."))
            return redirect(team)
    context = {
        "teams": selectors.teams_overview(),
        "form": form,
        "may_manage": services.can_manage_teams(request.user),
        "mine": selectors.my_memberships(request.user),
    }
    return render(request, "teams/team_list.html", context, status=400 if form.errors else 200)


@permission_required(VIEW_TEAM, raise_exception=True)
def team_detail(request, pk):
    team = get_object_or_404(Team.objects.select_related("lead"), pk=pk)
    edit_form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST":
        if edit_form.is_valid():
            try:
                services.team_save(by=request.user, team=edit_form.save(commit=False))
            except ValidationError as error:
                edit_form.add_error(None, error)
            else:
                messages.success(request, _("Team saved."))
                return redirect(team)
        team.refresh_from_db()
    context = {
        "team": team,
        "members": selectors.team_members(team),
        "rules": selectors.rules_in_order().filter(team=team),
        "edit_form": edit_form,
        "member_form": MemberForm(team=team),
        "may_manage": services.can_manage_teams(request.user),
        "may_manage_members": services.can_manage_members(request.user, team),
    }
    return render(request, "teams/team_detail.html", context, status=400 if edit_form.errors else 200)


@require_POST
@permission_required(VIEW_TEAM, raise_exception=True)
def member_add(request, pk):
    team = get_object_or_404(Team, pk=pk)
    form = MemberForm(request.POST, team=team)
    if form.is_valid():
        try:
            services.member_add(by=request.user, team=team, user=form.cleaned_data["user"])
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Member added."))
    else:
        _form_errors(request, form)
    return redirect(team)


@require_POST
@permission_required(VIEW_TEAM, raise_exception=True)
def member_remove(request, pk, user_pk):
    membership = get_object_or_404(
        Membership.objects.select_related("team", "user"), team_id=pk, user_id=user_pk
    )
    try:
        services.member_remove(by=request.user, team=membership.team, user=membership.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Member removed."))
    return redirect(membership.team)


@require_POST
@permission_required(VIEW_TEAM, raise_exception=True)
def member_away(request, pk, user_pk):
    membership = get_object_or_404(
        Membership.objects.select_related("team", "user"), team_id=pk, user_id=user_pk
    )
    away = request.POST.get("away") == "1"
    services.member_set_away(by=request.user, team=membership.team, user=membership.user, away=away)
    messages.success(request, _("Marked away.") if away else _("Marked back."))
    return redirect(membership.team)


@require_POST
@permission_required(VIEW_TEAM, raise_exception=True)
def my_away(request):
    away = request.POST.get("away") == "1"
    services.set_my_away(user=request.user, away=away)
    messages.success(
        request,
        _("You are marked away: routing gives you no new tickets.")
        if away
        else _("Welcome back: routing includes you again."),
    )
    return redirect("teams:list")


# ---------------------------------------------------------------- routing rules


@permission_required(VIEW_TEAM, raise_exception=True)
def rule_list(request):
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_save(by=request.user, rule=form.save(commit=False))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("teams:rules")
    return _rules_page(request, form=form, status=400 if form.errors else 200)


def _rules_page(request, *, form, editing=None, status=200):
    preview_form = PreviewForm(request.GET if "problem_type" in request.GET else None)
    preview = None
    if preview_form.is_bound and preview_form.is_valid():
        data = preview_form.cleaned_data
        preview = routing.route(
            problem_type=data["problem_type"],
            customer=data["customer_name"],
            source=data["source"],
            description=data["description"],
            error_message=data["error_message"],
            commit=False,
        )
    rules = list(selectors.rules_in_order())
    context = {
        "rules": rules,
        # The matching rule's place in the list, as the table numbers them.
        "preview_position": next(
            (
                i
                for i, rule in enumerate(rules, start=1)
                if preview and rule.pk == getattr(preview.rule, "pk", None)
            ),
            None,
        ),
        "form": form,
        "editing": editing,
        "preview_form": preview_form,
        "preview": preview,
        "may_manage": services.can_manage_teams(request.user),
    }
    return render(request, "teams/rules.html", context, status=status)


@permission_required(VIEW_TEAM, raise_exception=True)
def rule_edit(request, pk):
    rule = get_object_or_404(RoutingRule.objects.select_related("customer"), pk=pk)
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_save(by=request.user, rule=form.save(commit=False))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("teams:rules")
    return _rules_page(request, form=form, editing=rule, status=400 if form.errors else 200)


@require_POST
@permission_required(VIEW_TEAM, raise_exception=True)
def rule_delete(request, pk):
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.rule_delete(by=request.user, rule=rule)
    messages.success(request, _("Routing rule deleted."))
    return redirect("teams:rules")


@require_POST
@permission_required(VIEW_TEAM, raise_exception=True)
def rule_move(request, pk):
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.rule_move(by=request.user, rule=rule, up=request.POST.get("direction") == "up")
    return redirect("teams:rules")
