"""Reads for chapter 3. Weighted totals come from SQL (``options_ranked``), so the page, the panel and
the export rank options the same way; the matrices are built in one pass over rows already loaded."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from toolkit import chapters
from toolkit.models import Ticket

if TYPE_CHECKING:  # django-stubs (a dev tool): a model instance carrying annotate()'s extra attributes
    from django_stubs_ext import WithAnnotations

from .models import (
    WEIGHT_TOTAL,
    Coverage,
    CoverageLevel,
    Criterion,
    DesignAuthor,
    DesignStatus,
    Risk,
    Score,
    SolutionDesign,
    SolutionOption,
)

APPROVE_PERMISSION = "solutions.approve_solutiondesign"
EDIT_PERMISSION = "solutions.change_solutionoption"
PANEL_TOP_OPTIONS = 3
TWO_PLACES = Decimal("0.01")


def weighted_total(weighted_sum: int) -> Decimal:
    """Σ score × weight is a whole number (integer weights); /100 gives the total with two decimals, exact."""
    return (Decimal(weighted_sum or 0) / WEIGHT_TOTAL).quantize(TWO_PLACES)


def requirements_of(ticket: Ticket) -> QuerySet:
    """The ticket's requirement items, ranked (chapter 2, through the registry): what options cover."""
    return chapters.provided("ranked_requirements")(ticket)


class RankAnnotations(TypedDict):
    weighted_sum: int
    scored_count: int


def options_ranked(ticket: Ticket) -> "QuerySet[WithAnnotations[SolutionOption, RankAnnotations]]":
    """The ticket's options best first, each with ``weighted_sum`` (Σ score × weight) and ``scored_count``.

    One query: scores join their criterion for the weight; an option without scores sums to 0.
    """
    return (
        SolutionOption.objects.filter(ticket=ticket)
        .annotate(
            weighted_sum=Coalesce(Sum(F("scores__value") * F("scores__criterion__weight")), Value(0)),
            scored_count=Count("scores"),
        )
        .order_by("-weighted_sum", "number")
    )


def criteria_of(ticket: Ticket) -> QuerySet[Criterion]:
    return Criterion.objects.filter(ticket=ticket).order_by("position", "id")


def risks_of(ticket: Ticket) -> QuerySet[Risk]:
    return Risk.objects.filter(ticket=ticket).select_related("owner").order_by("id")


def design_of(ticket: Ticket) -> SolutionDesign | None:
    return (
        SolutionDesign.objects.filter(ticket=ticket)
        .select_related("chosen_option", "submitted_by", "decided_by")
        .first()
    )


def approved_option(ticket: Ticket) -> SolutionOption | None:
    """The basis of the implementation plan (chapter 4): the chosen option of an approved design."""
    loaded = chapters.loaded_relation(ticket, "solution_design")  # with its option, on the ticket page
    if loaded is not chapters.NOT_LOADED:
        return loaded.chosen_option if loaded is not None and loaded.status == DesignStatus.APPROVED else None
    design = (
        SolutionDesign.objects.filter(ticket=ticket, status=DesignStatus.APPROVED)
        .select_related("chosen_option")
        .first()
    )
    return design.chosen_option if design else None


@dataclass
class RankedOption:
    option: SolutionOption
    rank: int
    total: Decimal
    complete: bool  # scored on every criterion
    scores: dict = field(default_factory=dict)  # criterion id → value


@dataclass
class CoverageRow:
    requirement: object
    is_must: bool
    cells: list  # (option, level or "") in option order
    covered_by_any: bool
    chosen_level: str | None


@dataclass
class Comparison:
    """Everything the page and the export show, from a handful of queries whatever the number of options."""

    options: list  # SolutionOption in label order, for the matrices' columns
    ranked: list  # RankedOption best first
    criteria: list
    weight_sum: int
    coverage_rows: list
    uncovered_musts: dict  # option id → [requirement items (Must) the option leaves uncovered]
    musts_uncovered_by_all: list
    musts_uncovered_by_chosen: list
    chosen_option_id: int | None

    @property
    def has_complete_option(self) -> bool:
        return any(row.complete for row in self.ranked)

    @property
    def ranked_in_option_order(self) -> list:
        """The RankedOption entries in label order, for the matrices' total rows."""
        return sorted(self.ranked, key=lambda entry: entry.option.number)

    @property
    def uncovered_in_option_order(self) -> list:
        """[(option, Must items it leaves uncovered)] in label order."""
        return [(option, self.uncovered_musts[option.pk]) for option in self.options]


def comparison(ticket: Ticket, *, chosen_option_id=None, with_coverage: bool = True) -> Comparison:
    """Options ranked, the score and coverage matrices and the Must flags, in five queries
    (options with totals, criteria, scores, requirements, coverage)."""
    options_best_first = list(options_ranked(ticket))
    criteria = list(criteria_of(ticket))
    scores = Score.objects.filter(option__ticket=ticket).values_list("option_id", "criterion_id", "value")
    by_option: dict = {}
    for option_id, criterion_id, value in scores:
        by_option.setdefault(option_id, {})[criterion_id] = value
    ranked = [
        RankedOption(
            option=option,
            rank=index,
            total=weighted_total(option.weighted_sum),
            complete=bool(criteria) and option.scored_count == len(criteria),
            scores=by_option.get(option.pk, {}),
        )
        for index, option in enumerate(options_best_first, start=1)
    ]
    options = sorted(options_best_first, key=lambda option: option.number)
    result = Comparison(
        options=options,
        ranked=ranked,
        criteria=criteria,
        weight_sum=sum(criterion.weight for criterion in criteria),
        coverage_rows=[],
        uncovered_musts={option.pk: [] for option in options},
        musts_uncovered_by_all=[],
        musts_uncovered_by_chosen=[],
        chosen_option_id=chosen_option_id,
    )
    if with_coverage:
        _add_coverage(result, ticket)
    return result


def _covers(level) -> bool:
    return level in (CoverageLevel.FULL, CoverageLevel.PARTIAL)


def _add_coverage(result: Comparison, ticket: Ticket) -> None:
    """A Must is uncovered by an option when the option is assessed "not covered" or not assessed at all;
    partial coverage counts as covered (and is shown as such)."""
    requirements = list(requirements_of(ticket))
    if not requirements:
        return
    levels = {
        (option_id, requirement_id): level
        for option_id, requirement_id, level in Coverage.objects.filter(option__ticket=ticket).values_list(
            "option_id", "requirement_id", "level"
        )
    }
    for requirement in requirements:
        is_must = requirement.is_must
        cells = [(option, levels.get((option.pk, requirement.pk), "")) for option in result.options]
        covered_by_any = any(_covers(level) for _option, level in cells)
        chosen_level = None
        if result.chosen_option_id is not None:
            chosen_level = levels.get((result.chosen_option_id, requirement.pk), "")
        result.coverage_rows.append(
            CoverageRow(
                requirement=requirement,
                is_must=is_must,
                cells=cells,
                covered_by_any=covered_by_any,
                chosen_level=chosen_level,
            )
        )
        if not is_must:
            continue
        for option, level in cells:
            if not _covers(level):
                result.uncovered_musts[option.pk].append(requirement)
        if result.options and not covered_by_any:
            result.musts_uncovered_by_all.append(requirement)
        if chosen_level is not None and not _covers(chosen_level):
            result.musts_uncovered_by_chosen.append(requirement)


@dataclass
class PanelSummary:
    status: str | None
    status_label: str
    chosen_label: str
    option_count: int
    risk_count: int
    top_options: list  # (label, total) best first


def _count_subquery(queryset):
    counted = (
        queryset.filter(ticket=OuterRef("pk")).order_by().values("ticket").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_requirements_delivered(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """This chapter's share of the per-ticket results: the chosen option of the approved design
    (``ev_approved_option_id``) and how many Must/Should items it covers fully
    (``ev_requirements_delivered``)."""
    queryset = queryset.annotate(
        ev_approved_option_id=Case(
            When(solution_design__status=DesignStatus.APPROVED, then=F("solution_design__chosen_option_id")),
            default=None,
            output_field=BigIntegerField(),
        )
    )
    covered = Coverage.objects.filter(
        requirement=OuterRef("pk"),
        option_id=OuterRef(OuterRef("ev_approved_option_id")),
        level=CoverageLevel.FULL,
    )
    wanted = chapters.provided("wanted_requirements")()
    return queryset.annotate(ev_requirements_delivered=_count_subquery(wanted.filter(Exists(covered))))


def solution_panel(ticket: Ticket) -> PanelSummary:
    """What the ticket detail page shows of chapter 3, in at most two queries: status and counts, then
    the best options with their totals. The design and its chosen option come with the ticket on its
    page (toolkit.chapters ticket_relations): then only the counts are asked."""
    loaded = chapters.loaded_relation(ticket, "solution_design")
    counts = {
        "option_count": _count_subquery(SolutionOption.objects.all()),
        "risk_count": _count_subquery(Risk.objects.all()),
    }
    if loaded is chapters.NOT_LOADED:
        designs = SolutionDesign.objects.filter(ticket=OuterRef("pk"))
        counts |= {
            "design_status": Subquery(designs.values("status")[:1]),
            "chosen_label": Subquery(designs.values("chosen_option__label")[:1]),
        }
    row = Ticket.objects.filter(pk=ticket.pk).annotate(**counts).values(*counts).get()
    if loaded is not chapters.NOT_LOADED:
        row["design_status"] = loaded.status if loaded else None
        row["chosen_label"] = loaded.chosen_option.label if loaded and loaded.chosen_option else None
    top = []
    if row["option_count"]:
        top = [
            (option.display_label, weighted_total(option.weighted_sum))
            for option in options_ranked(ticket)[:PANEL_TOP_OPTIONS]
        ]
    status = row["design_status"]
    return PanelSummary(
        status=status,
        status_label=str(DesignStatus(status).label) if status else "",
        chosen_label=row["chosen_label"] or "",
        option_count=row["option_count"],
        risk_count=row["risk_count"],
        top_options=top,
    )


def user_can_edit(user) -> bool:
    return user.has_perm(EDIT_PERMISSION)


def user_can_approve(user) -> bool:
    """Managers and admins (the permission is granted to those groups), and superusers."""
    return user.has_perm(APPROVE_PERMISSION)


def design_author_ids(ticket_id: int) -> set[int]:
    """Everyone who wrote part of the ticket's design: recorded authors, the options' creators (also those
    made outside the services) and the submitter. Four-eyes: none of them may decide on it."""
    authors = set(DesignAuthor.objects.filter(ticket_id=ticket_id).values_list("user_id", flat=True))
    authors |= set(SolutionOption.objects.filter(ticket_id=ticket_id).values_list("created_by_id", flat=True))
    submitter = SolutionDesign.objects.filter(ticket_id=ticket_id).values_list("submitted_by_id", flat=True)
    authors |= {pk for pk in submitter if pk is not None}
    return authors


def user_can_decide(user, ticket_id: int) -> bool:
    """May `user` approve or reject this ticket's design? Managers who wrote none of it."""
    return user_can_approve(user) and user.pk not in design_author_ids(ticket_id)


def designs_awaiting_decision(user=None) -> QuerySet[SolutionDesign]:
    """The managers' queue: submitted designs, oldest first, with what the list shows (one query);
    ``authored_by_me`` marks those `user` worked on, which another manager must decide."""
    queryset = (
        SolutionDesign.objects.filter(status=DesignStatus.SUBMITTED)
        .select_related("ticket__customer", "ticket__owner", "submitted_by", "chosen_option")
        .order_by("submitted_at", "pk")
    )
    if user is not None:
        mine_option = SolutionOption.objects.filter(ticket=OuterRef("ticket"), created_by=user.pk)
        author = DesignAuthor.objects.filter(ticket=OuterRef("ticket"), user=user.pk)
        queryset = queryset.annotate(
            authored_by_me=Exists(author) | Exists(mine_option) | Q(submitted_by=user.pk)
        )
    return queryset


# ---------------------------------------------------------------- the design page

VIEW_PERMISSION = "solutions.view_solutionoption"
ADD_OPTION = "solutions.add_solutionoption"
CHANGE_OPTION = "solutions.change_solutionoption"
DELETE_OPTION = "solutions.delete_solutionoption"
CHANGE_CRITERIA = "solutions.change_criterion"
CHANGE_SCORES = "solutions.change_score"
CHANGE_COVERAGE = "solutions.change_coverage"
CHANGE_DESIGN = "solutions.change_solutiondesign"
ADD_RISK = "solutions.add_risk"
CHANGE_RISK = "solutions.change_risk"
DELETE_RISK = "solutions.delete_risk"


def design_page_data(ticket: Ticket, *, design: SolutionDesign, user) -> dict:
    """What the design page shows of ``ticket`` and what ``user`` may do there (the view adds its forms).

    Options, criteria and coverage change only while the design is a draft of an open ticket; risks
    while the ticket is open."""
    from .exports import EXPORT_PERMISSION  # exports reads this module: imported here, not at the top

    perms = user.get_all_permissions()
    editable = design.is_editable and ticket.is_open
    return {
        "ticket": ticket,
        "design": design,
        "data": comparison(ticket, chosen_option_id=design.chosen_option_id),
        "editable": editable,
        "can_add_option": editable and ADD_OPTION in perms,
        "can_edit_option": editable and CHANGE_OPTION in perms,
        "can_delete_option": editable and DELETE_OPTION in perms,
        "can_edit_criteria": editable and CHANGE_CRITERIA in perms,
        "can_score": editable and CHANGE_SCORES in perms,
        "can_cover": editable and CHANGE_COVERAGE in perms,
        "can_change_design": editable and CHANGE_DESIGN in perms,
        "can_add_risk": ticket.is_open and ADD_RISK in perms,
        "can_edit_risk": ticket.is_open and CHANGE_RISK in perms,
        "can_delete_risk": ticket.is_open and DELETE_RISK in perms,
        "can_approve": user_can_approve(user),
        "can_decide": design.status == DesignStatus.SUBMITTED and user_can_decide(user, ticket.pk),
        "can_export": EXPORT_PERMISSION in perms,
        "risks": list(risks_of(ticket)),
    }
