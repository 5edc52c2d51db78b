"""Who may do what to one ticket: the object-level rules, in one place.

Model permissions (toolkit.change_ticket, …) say what a role may do at all; these rules say which
tickets. Services enforce them (ensure_* raise PermissionDenied) and pages ask them (can_*) to show
only the actions a person may take.

- Managers and admins may do everything.
- The owner works the ticket: changes its stage (close, hold, cancel, reopen included) and hands it
  to someone else.
- Anyone else in a service role may take an unowned ticket for themselves, add clarifications and
  work the chapter pages; a chapter step (solution approved, plan complete, resolution verified) moves
  the ticket forward for whoever may do that step, but never closes, holds or cancels it.
- The recorder may cancel a ticket still in 新建 (logged by mistake).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from . import roles
from .choices import Stage

CHANGE_TICKET = "toolkit.change_ticket"

# Where a chapter step may move a ticket without being its owner: forward into a work stage.
CHAPTER_STEP_STAGES = {Stage.ANALYSIS, Stage.DESIGN, Stage.IMPLEMENTATION, Stage.EVALUATION}


def is_manager(user) -> bool:
    """Managers and admins (and superusers) may act on every ticket."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Asked several times per page: remember the user's groups on the instance (one request's life).
    if not hasattr(user, "_toolkit_role_names"):
        user._toolkit_role_names = set(user.groups.values_list("name", flat=True))
    return bool(user._toolkit_role_names & {roles.MANAGER, roles.ADMIN})


def is_owner(user, ticket) -> bool:
    return user.pk is not None and ticket.owner_id == user.pk


def can_change_stage(user, ticket, to_stage: str, *, chapter_step: bool = False) -> bool:
    """May `user` move `ticket` to `to_stage`? (Whether the move itself is allowed is the flow's rule.)"""
    if not user.has_perm(CHANGE_TICKET):
        return False
    if is_owner(user, ticket) or is_manager(user):
        return True
    if chapter_step and to_stage in CHAPTER_STEP_STAGES:
        return True
    return to_stage == Stage.CANCELLED and ticket.stage == Stage.NEW and ticket.recorded_by_id == user.pk


def can_assign(user, ticket, new_owner) -> bool:
    """May `user` make `new_owner` the owner of `ticket`? Taking an unowned ticket is anyone's."""
    if not user.has_perm(CHANGE_TICKET):
        return False
    if is_owner(user, ticket) or is_manager(user):
        return True
    return ticket.owner_id is None and new_owner is not None and new_owner.pk == user.pk


def can_reassign(user, ticket) -> bool:
    """May `user` hand `ticket` to anyone at all (not only take it)?"""
    return user.has_perm(CHANGE_TICKET) and (is_owner(user, ticket) or is_manager(user))


def ensure_can_change_stage(user, ticket, to_stage: str, *, chapter_step: bool = False) -> None:
    if can_change_stage(user, ticket, to_stage, chapter_step=chapter_step):
        return
    if to_stage == Stage.CANCELLED:
        raise PermissionDenied(
            _("Only the ticket's owner or a manager can cancel it (its recorder too, while it is new).")
        )
    if to_stage == Stage.CLOSED:
        raise PermissionDenied(_("Only the ticket's owner or a manager can close it."))
    raise PermissionDenied(_("Only the ticket's owner or a manager can change its stage."))


def ensure_can_assign(user, ticket, new_owner) -> None:
    if can_assign(user, ticket, new_owner):
        return
    raise PermissionDenied(
        _("Only the ticket's owner or a manager can hand it to someone else; you may take only unowned ones.")
    )
