"""Writes for chapter 3. Every write checks the design's state on a locked row, so two people cannot
slip a change past a submission.

Rules enforced here (and shown as form errors by the views):
- criteria weights are whole percentages that sum to exactly 100;
- scores are 1–5; coverage and scores only link rows of the same ticket;
- submitting needs a chosen option scored on every criterion;
- only holders of ``solutions.approve_solutiondesign`` (managers, admins) approve or reject, never a
  design they wrote any part of (four-eyes: every design-changing write here records its author in
  ``DesignAuthor``; see ``selectors.design_author_ids``); rejecting needs a comment;
- approval moves the ticket to Implementation through ``toolkit.services.ticket_change_stage``, so the
  ticket's history shows who approved, when and why; rejection hands the design back for rework;
- while submitted or approved, options, criteria, scores, coverage, the choice and the rollback plan
  are locked (see models).
"""

from decimal import Decimal
from typing import cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from toolkit import events, signals
from toolkit.choices import EventKind, Stage
from toolkit.history import delete_with_history, save_with_history
from toolkit.models import Ticket, User
from toolkit.services import is_backward, ticket_change_stage

from .models import (
    DEFAULT_CRITERIA,
    MAX_CRITERIA,
    SCORE_MAX,
    SCORE_MIN,
    WEIGHT_TOTAL,
    Coverage,
    CoverageLevel,
    Criterion,
    CriterionKey,
    DesignAuthor,
    DesignStatus,
    Risk,
    Score,
    SolutionDesign,
    SolutionOption,
    option_label,
)
from .selectors import APPROVE_PERMISSION, criteria_of, design_author_ids, options_ranked

OPTION_FIELDS = (
    "approach",
    "estimated_cost",
    "duration_days",
    "people",
    "expected_effect",
    "risk_level",
    "pros",
    "cons",
)
RISK_FIELDS = ("description", "probability", "impact", "mitigation", "owner")


@transaction.atomic
def design_get_or_create(*, ticket: Ticket) -> SolutionDesign:
    """The ticket's design, created on first use with SPEC's default criteria (weights 30/20/20/15/15)."""
    design, created = SolutionDesign.objects.get_or_create(ticket=ticket)
    if created and not Criterion.objects.filter(ticket=ticket).exists():
        Criterion.objects.bulk_create(
            Criterion(ticket=ticket, key=key, weight=weight, position=position)
            for position, (key, weight) in enumerate(DEFAULT_CRITERIA)
        )
    return design


def _authored(ticket: Ticket, by) -> None:
    """Record that `by` wrote part of the design (callers hold the design row's lock, so no race)."""
    now = timezone.now()
    if not DesignAuthor.objects.filter(ticket=ticket, user=by).update(last_at=now):
        DesignAuthor.objects.create(ticket=ticket, user=by, first_at=now, last_at=now)


def _locked_design(ticket: Ticket, *, for_edit: bool = True) -> SolutionDesign:
    """The design row, locked for the rest of the transaction; for_edit: refuse unless draft or rejected."""
    design_get_or_create(ticket=ticket)
    design = SolutionDesign.objects.select_for_update().get(ticket=ticket)
    if for_edit and not design.is_editable:
        raise ValidationError(
            _(
                "The design is %(status)s: options, criteria, scores and coverage can no longer change. "
                "A manager must reject it first."
            )
            % {"status": DesignStatus(design.status).label}
        )
    if not Ticket.objects.get(pk=ticket.pk).is_open:
        raise ValidationError(
            _("Ticket %(number)s is closed or cancelled: its solution design can no longer change.")
            % {"number": ticket.number}
        )
    return design


# Options ------------------------------------------------------------------------------------------


def _check_option_values(fields: dict) -> None:
    cost = fields.get("estimated_cost")
    if cost is not None and Decimal(cost) < 0:
        raise ValidationError({"estimated_cost": _("The cost cannot be negative.")})
    for name in ("duration_days", "people"):
        if name in fields and (fields[name] is None or fields[name] < 1):
            raise ValidationError({name: _("Enter a whole number of at least 1.")})


@transaction.atomic
def option_create(*, ticket: Ticket, by, **fields) -> SolutionOption:
    """Add a candidate option with the label after the highest one in use (A, B, C…).

    Deleting an option never relabels the others (people have discussed "方案C" by that name).
    """
    _locked_design(ticket)
    unknown = set(fields) - set(OPTION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    _check_option_values(fields)
    last = SolutionOption.objects.filter(ticket=ticket).aggregate(last=Max("number"))["last"] or 0
    option = SolutionOption(
        ticket=ticket, number=last + 1, label=option_label(last + 1), created_by=by, **fields
    )
    option.full_clean()
    save_with_history(option, by=by)
    _authored(ticket, by)
    return option


@transaction.atomic
def option_update(*, option: SolutionOption, by, **changes) -> SolutionOption:
    _locked_design(option.ticket)
    unknown = set(changes) - set(OPTION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    _check_option_values(changes)
    for name, value in changes.items():
        setattr(option, name, value)
    option.full_clean()
    save_with_history(option, by=by)
    _authored(option.ticket, by)
    return option


@transaction.atomic
def option_delete(*, option: SolutionOption, by) -> None:
    design = _locked_design(option.ticket)
    if design.chosen_option_id == option.pk:
        design.chosen_option = None
        save_with_history(design, by=by, reason="chosen option deleted")
    delete_with_history(option, by=by)
    _authored(option.ticket, by)


@transaction.atomic
def option_choose(*, ticket: Ticket, option: SolutionOption | None, by) -> SolutionDesign:
    """Mark the option the team proposes (or none)."""
    design = _locked_design(ticket)
    if option is not None and option.ticket_id != ticket.pk:
        raise ValidationError(_("This option belongs to another ticket."))
    design.chosen_option = option
    save_with_history(design, by=by, reason="option chosen")
    _authored(ticket, by)
    return design


# Criteria and scores ------------------------------------------------------------------------------


def validate_weights(weights: list[int]) -> None:
    """Whole percentages, each 0–100, at least one criterion, summing to exactly 100."""
    if not weights:
        raise ValidationError(_("Keep at least one criterion."), code="no_criteria")
    if len(weights) > MAX_CRITERIA:
        raise ValidationError(
            _("Use at most %(max)d criteria.") % {"max": MAX_CRITERIA}, code="too_many_criteria"
        )
    for weight in weights:
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= WEIGHT_TOTAL:
            raise ValidationError(_("Each weight is a whole number from 0 to 100."), code="weight_range")
    total = sum(weights)
    if total != WEIGHT_TOTAL:
        raise ValidationError(
            _("The weights add up to %(total)d%%; they must add up to exactly 100%%.") % {"total": total},
            code="weight_sum",
        )


def _default_names(key: str) -> set[str]:
    """A default criterion's name in every language, so an untouched name keeps it translatable."""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(CriterionKey(key).label))
    return names


@transaction.atomic
def criteria_replace(*, ticket: Ticket, rows: list[dict], by) -> list[Criterion]:
    """Save the whole set of criteria at once: rows of {"id" (None for a new one), "name", "weight"} in
    display order. Criteria left out are deleted with their scores. Nothing is saved unless the set is valid.
    """
    _locked_design(ticket)
    validate_weights([row["weight"] for row in rows])
    names = [(row.get("name") or "").strip() for row in rows]
    if any(not name for name in names):
        raise ValidationError(_("Every criterion needs a name."), code="name_missing")
    if len({name.casefold() for name in names}) != len(names):
        raise ValidationError(_("Two criteria have the same name."), code="name_duplicate")
    existing = {criterion.pk: criterion for criterion in criteria_of(ticket)}
    unknown = {row["id"] for row in rows if row.get("id")} - set(existing)
    if unknown:
        raise ValidationError(_("A criterion was changed by someone else; reload the page."), code="stale")
    kept = {row["id"] for row in rows if row.get("id")}
    gone = [pk for pk in existing if pk not in kept]
    if gone:
        Criterion.objects.filter(pk__in=gone).delete()
    saved = []
    for position, (row, name) in enumerate(zip(rows, names, strict=True)):
        criterion = (row.get("id") and existing.get(row["id"])) or Criterion(ticket=ticket)
        if criterion.key and name in _default_names(criterion.key):
            criterion.name = ""
        else:
            criterion.key, criterion.name = "", name
        criterion.weight = row["weight"]
        criterion.position = position
        save_with_history(criterion, by=by)
        saved.append(criterion)
    _authored(ticket, by)
    return saved


@transaction.atomic
def scores_save(*, ticket: Ticket, values: dict, by) -> int:
    """Set the score matrix: {(option id, criterion id): 1–5 or None}; None clears a score. Returns the
    number of scores set. Two statements whatever the matrix size (an upsert and a delete)."""
    _locked_design(ticket)
    option_ids = set(SolutionOption.objects.filter(ticket=ticket).values_list("pk", flat=True))
    criterion_ids = set(Criterion.objects.filter(ticket=ticket).values_list("pk", flat=True))
    to_set, to_clear = [], []
    for (option_id, criterion_id), value in values.items():
        if option_id not in option_ids or criterion_id not in criterion_ids:
            raise ValidationError(_("A score refers to an option or criterion of another ticket."))
        if value is None:
            to_clear.append((option_id, criterion_id))
            continue
        if not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
            raise ValidationError(_("Scores are whole numbers from 1 to 5."), code="score_range")
        to_set.append(Score(option_id=option_id, criterion_id=criterion_id, value=value))
    if to_set:
        Score.objects.bulk_create(
            to_set, update_conflicts=True, unique_fields=["option", "criterion"], update_fields=["value"]
        )
    for option_id, criterion_id in to_clear:
        Score.objects.filter(option_id=option_id, criterion_id=criterion_id).delete()
    if to_set or to_clear:
        _authored(ticket, by)
    return len(to_set)


# Coverage -----------------------------------------------------------------------------------------


@transaction.atomic
def coverage_save(*, ticket: Ticket, values: dict, requirement_ids: set, by) -> int:
    """Set the coverage matrix: {(option id, requirement id): full / partial / none, or "" to clear}.

    ``requirement_ids`` are the ticket's requirement items (from requirements_analysis.selectors).
    """
    _locked_design(ticket)
    option_ids = set(SolutionOption.objects.filter(ticket=ticket).values_list("pk", flat=True))
    to_set, to_clear = [], []
    for (option_id, requirement_id), level in values.items():
        if option_id not in option_ids or requirement_id not in requirement_ids:
            raise ValidationError(_("Coverage refers to an option or requirement of another ticket."))
        if not level:
            to_clear.append((option_id, requirement_id))
            continue
        if level not in CoverageLevel.values:
            raise ValidationError(_("Choose full, partial or no coverage."), code="coverage_level")
        to_set.append(Coverage(option_id=option_id, requirement_id=requirement_id, level=level))
    if to_set:
        Coverage.objects.bulk_create(
            to_set, update_conflicts=True, unique_fields=["option", "requirement"], update_fields=["level"]
        )
    for option_id, requirement_id in to_clear:
        Coverage.objects.filter(option_id=option_id, requirement_id=requirement_id).delete()
    if to_set or to_clear:
        _authored(ticket, by)
    return len(to_set)


# Risks and rollback -------------------------------------------------------------------------------


@transaction.atomic
def risk_create(*, ticket: Ticket, by, **fields) -> Risk:
    """Add a risk. The register stays editable after approval: risks are managed through implementation."""
    _locked_design(ticket, for_edit=False)
    risk = Risk(ticket=ticket, **{name: fields[name] for name in RISK_FIELDS if name in fields})
    risk.full_clean()
    save_with_history(risk, by=by)
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, by, **changes) -> Risk:
    _locked_design(risk.ticket, for_edit=False)
    for name in RISK_FIELDS:
        if name in changes:
            setattr(risk, name, changes[name])
    risk.full_clean()
    save_with_history(risk, by=by)
    return risk


@transaction.atomic
def risk_delete(*, risk: Risk, by) -> None:
    _locked_design(risk.ticket, for_edit=False)
    delete_with_history(risk, by=by)


@transaction.atomic
def rollback_plan_save(*, ticket: Ticket, text: str, by) -> SolutionDesign:
    design = _locked_design(ticket)
    design.rollback_plan = (text or "").strip()
    save_with_history(design, by=by, reason="rollback plan")
    _authored(ticket, by)
    return design


# Approval -----------------------------------------------------------------------------------------


@transaction.atomic
def design_submit(*, ticket: Ticket, by) -> SolutionDesign:
    """Hand the design to a manager. Needs a chosen option, scored on every criterion."""
    design = _locked_design(ticket)
    criteria_count = Criterion.objects.filter(ticket=ticket).count()
    options = list(options_ranked(ticket))
    complete = [option.pk for option in options if criteria_count and option.scored_count == criteria_count]
    errors = []
    if not options:
        errors.append(_("Add at least one option."))
    elif not complete:
        errors.append(_("Score at least one option on every criterion."))
    if design.chosen_option_id is None:
        errors.append(_("Choose the option you propose."))
    elif complete and design.chosen_option_id not in complete:
        errors.append(
            _("Score the chosen option (%(label)s) on every criterion.")
            % {"label": cast(SolutionOption, design.chosen_option).display_label}
        )
    if errors:
        raise ValidationError(errors)
    design.status = DesignStatus.SUBMITTED
    design.submitted_by = by
    design.submitted_at = timezone.now()
    save_with_history(design, by=by, reason="submitted")
    _authored(ticket, by)
    # Four-eyes: only managers who wrote none of it may decide, so only they are asked.
    events.notify(
        kind=EventKind.DESIGN_AWAITING_APPROVAL,
        recipients=events.users_with_permission(APPROVE_PERMISSION).exclude(
            pk__in=design_author_ids(ticket.pk)
        ),
        actor=by,
        ticket=ticket,
        link=reverse("solutions:design", args=[ticket.number]),
        chat=True,
    )
    return design


def _tell_authors(design: SolutionDesign, *, by) -> None:
    """The decision goes to everyone who wrote part of the design and its submitter, and to the team chat."""
    events.notify(
        kind=EventKind.DESIGN_DECIDED,
        recipients=User.objects.filter(pk__in=design_author_ids(design.ticket_id)),
        actor=by,
        ticket=design.ticket,
        link=reverse("solutions:design", args=[design.ticket.number]),
        params={"decision": design.status, "comment": design.decision_comment},
        chat=True,
    )
    signals.emit(
        signals.DESIGN_DECIDED, ticket=design.ticket, decision=design.status, comment=design.decision_comment
    )


def _check_decider(design: SolutionDesign, by) -> None:
    if not by.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied(_("Only a manager can approve or reject a solution design."))
    if design.status != DesignStatus.SUBMITTED:
        raise ValidationError(
            _("Only a submitted design can be decided; this one is %(status)s.")
            % {"status": DesignStatus(design.status).label}
        )
    if by.pk in design_author_ids(design.ticket_id):
        raise ValidationError(
            _(
                "You worked on this design (its options, criteria, scores, coverage or submission): "
                "another manager must decide on it."
            ),
            code="own_design",
        )


@transaction.atomic
def design_approve(*, ticket: Ticket, by, comment: str = "") -> SolutionDesign:
    """Approve the chosen option and move the ticket to Implementation, recorded in its stage history.

    The reason is written in the site's language (方案已批准: …), like the rest of the shared history.
    """
    design = _locked_design(ticket, for_edit=False)
    _check_decider(design, by)
    comment = (comment or "").strip()
    design.status = DesignStatus.APPROVED
    design.decided_by = by
    design.decided_at = timezone.now()
    design.decision_comment = comment
    save_with_history(design, by=by, reason="approved")
    _tell_authors(design, by=by)
    ticket = Ticket.objects.get(pk=ticket.pk)
    # Forward only: a ticket already past implementation (evaluation) is not sent back by an approval.
    if ticket.stage != Stage.IMPLEMENTATION and not is_backward(ticket.stage, Stage.IMPLEMENTATION):
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("Solution approved: %(comment)s") % {
                "comment": comment or cast(SolutionOption, design.chosen_option).display_label
            }
        ticket_change_stage(
            ticket=ticket,
            to_stage=Stage.IMPLEMENTATION,
            reason=reason[:500],
            by=by,
            chapter_step=True,
            # The design's authors read of the approval, which moves it: once is enough.
            already_told=design_author_ids(ticket.pk),
        )
    return design


@transaction.atomic
def design_reject(*, ticket: Ticket, by, comment: str) -> SolutionDesign:
    """Send the design back for rework, saying why. It can then be edited and resubmitted."""
    design = _locked_design(ticket, for_edit=False)
    _check_decider(design, by)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the design is rejected, so it can be reworked.")})
    design.status = DesignStatus.REJECTED
    design.decided_by = by
    design.decided_at = timezone.now()
    design.decision_comment = comment
    save_with_history(design, by=by, reason="rejected")
    _tell_authors(design, by=by)
    return design
