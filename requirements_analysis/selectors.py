"""Reads for chapter 2. Ranking happens in SQL with the same formula as RequirementItem.score."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from toolkit.models import Ticket

from .models import (
    EFFORT_BASE,
    MOSCOW_ORDER,
    SCORE_URGENCY_WEIGHT,
    SCORE_VALUE_WEIGHT,
    ConfirmationStatus,
    MoSCoW,
    RequirementItem,
    RequirementKind,
    Stakeholder,
)

PANEL_TOP_ITEMS = 3


def score_expression():
    """score = 2 × value + 2 × urgency + (6 − effort), as an SQL expression (see models)."""
    return (
        Value(SCORE_VALUE_WEIGHT) * F("value")
        + Value(SCORE_URGENCY_WEIGHT) * F("urgency")
        + (Value(EFFORT_BASE) - F("effort"))
    )


def moscow_rank_expression():
    return Case(
        *[When(moscow=moscow, then=Value(rank)) for moscow, rank in MOSCOW_ORDER.items()],
        default=Value(len(MOSCOW_ORDER)),
        output_field=IntegerField(),
    )


def items_in_order(ticket: Ticket) -> QuerySet[RequirementItem]:
    """The ticket's items in manual order (position), as collected and reordered on the page."""
    return (
        RequirementItem.objects.filter(ticket=ticket).select_related("created_by").order_by("position", "id")
    )


def ranked_items(ticket: Ticket) -> QuerySet[RequirementItem]:
    """The ranked list, the chapter's output: score desc, then Must > Should > Could > Won't, then position.

    Each row carries ``rank_score`` (equal to ``.score``) and ``moscow_rank``.
    """
    return (
        RequirementItem.objects.filter(ticket=ticket)
        .annotate(rank_score=score_expression(), moscow_rank=moscow_rank_expression())
        .order_by("-rank_score", "moscow_rank", "position", "id")
    )


def stakeholders_of(ticket: Ticket) -> QuerySet[Stakeholder]:
    return Stakeholder.objects.filter(ticket=ticket).select_related("user", "responded_by").order_by("id")


@dataclass
class Consensus:
    """Where agreement stands. Confirmed: at least one item, one stakeholder, and every one confirmed."""

    item_count: int
    stakeholder_count: int
    confirmed_count: int
    disputed_count: int
    pending_count: int = field(init=False)

    def __post_init__(self):
        self.pending_count = self.stakeholder_count - self.confirmed_count - self.disputed_count

    @property
    def is_confirmed(self) -> bool:
        return (
            self.item_count > 0
            and self.stakeholder_count > 0
            and self.confirmed_count == self.stakeholder_count
        )


def consensus_from(*, item_count: int, stakeholders) -> Consensus:
    """Consensus from rows already loaded (the page has them): no query."""
    statuses = [stakeholder.status for stakeholder in stakeholders]
    return Consensus(
        item_count=item_count,
        stakeholder_count=len(statuses),
        confirmed_count=statuses.count(ConfirmationStatus.CONFIRMED),
        disputed_count=statuses.count(ConfirmationStatus.DISPUTED),
    )


def _count_subquery(queryset, ticket_field="ticket"):
    counted = (
        queryset.filter(**{ticket_field: OuterRef("pk")})
        .order_by()
        .values(ticket_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def consensus_of(ticket: Ticket) -> Consensus:
    """Consensus in one query (used by services after a change, and by the panel)."""
    counts = _panel_counts(ticket)
    return Consensus(
        item_count=counts["item_count"],
        stakeholder_count=counts["stakeholder_count"],
        confirmed_count=counts["confirmed_count"],
        disputed_count=counts["disputed_count"],
    )


def wanted_items() -> QuerySet[RequirementItem]:
    """Must and Should items: what a delivered solution is measured against (chapter 5's results)."""
    return RequirementItem.objects.filter(moscow__in=[MoSCoW.MUST, MoSCoW.SHOULD])


def with_requirements_total(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """This chapter's share of the per-ticket results: ``ev_requirements_total``, the Must/Should items."""
    return queryset.annotate(ev_requirements_total=_count_subquery(wanted_items()))


def _panel_counts(ticket: Ticket) -> Mapping[str, Any]:
    """The ticket's item and stakeholder counts in one query: the few columns counted of both tables as
    one UNION ALL, counted here (six COUNT subqueries cost the ticket page more to build than to run)."""
    text = CharField()
    items = (
        RequirementItem.objects.filter(ticket=ticket)
        .order_by()
        .values_list(Value("item", output_field=text), "moscow", "kind")
    )
    people = (
        Stakeholder.objects.filter(ticket=ticket)
        .order_by()
        .values_list(Value("person", output_field=text), "status", Value("", output_field=text))
    )
    rows = list(items.union(people, all=True))
    item_rows = [(moscow, kind) for source, moscow, kind in rows if source == "item"]
    statuses = [status for source, status, _blank in rows if source == "person"]
    return {
        "item_count": len(item_rows),
        "must_count": sum(moscow == MoSCoW.MUST for moscow, _kind in item_rows),
        "constraint_count": sum(kind == RequirementKind.CONSTRAINT for _moscow, kind in item_rows),
        "stakeholder_count": len(statuses),
        "confirmed_count": statuses.count(ConfirmationStatus.CONFIRMED),
        "disputed_count": statuses.count(ConfirmationStatus.DISPUTED),
    }


@dataclass
class PanelSummary:
    consensus: Consensus
    must_count: int
    constraint_count: int
    top_items: list


def analysis_panel(ticket: Ticket) -> PanelSummary:
    """What the ticket detail page shows of chapter 2, in two queries: counts, then the top of the ranking."""
    counts = _panel_counts(ticket)
    top = list(ranked_items(ticket)[:PANEL_TOP_ITEMS]) if counts["item_count"] else []
    return PanelSummary(
        consensus=Consensus(
            item_count=counts["item_count"],
            stakeholder_count=counts["stakeholder_count"],
            confirmed_count=counts["confirmed_count"],
            disputed_count=counts["disputed_count"],
        ),
        must_count=counts["must_count"],
        constraint_count=counts["constraint_count"],
        top_items=top,
    )


def user_can_edit(user) -> bool:
    return user.has_perm("requirements_analysis.change_requirementitem")


def user_can_read(user, ticket: Ticket) -> bool:
    """The service roles, and a person linked as one of this ticket's stakeholders (who may have no role)."""
    return user.has_perm("requirements_analysis.view_requirementitem") or (
        Stakeholder.objects.filter(ticket=ticket, user_id=user.pk).exists()
    )


def user_can_respond(user, stakeholder: Stakeholder) -> bool:
    """Editors record any stakeholder's answer (e.g. after a meeting); a linked user records their own."""
    return user.has_perm("requirements_analysis.change_stakeholder") or (
        stakeholder.user_id is not None and stakeholder.user_id == user.pk
    )
