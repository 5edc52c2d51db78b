"""Reads of chapter 5: the per-ticket results (computed in SQL, one query for any number of tickets),
what the evaluation page and the ticket panel show, recurrence candidates and the monthly report rows.

Results of a ticket:
- first response / resolution met: the SLA target's ``met_at`` ≤ ``due_at`` → met; met late or breached
  and still not met → missed; otherwise pending (None).
- reopen count: stage changes from Closed back to an open stage.
- hours spent: Σ hours_spent of the implementation tasks (chapter 4).
- requirements delivered: Must/Should requirement items that the chosen option of the *approved* design
  covers fully, out of all Must/Should items.
- recurrences: tickets linked as a recurrence of this one.
- survey: the latest response's five scores and comment.

Hours and requirements are annotated by chapters 4, 2 and 3 themselves, through the registry
(toolkit.chapters): a chapter that is not installed leaves its figures empty.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from toolkit import chapters
from toolkit.choices import SlaState, SlaTargetKind, Stage
from toolkit.models import StageChange, Ticket, TicketSla
from toolkit.permissions import can_change_stage
from toolkit.privacy import can_see_contact_details, mask_contact_details

from .models import (
    CSAT_SATISFIED_MIN,
    RECURRENCE_WINDOW_DAYS,
    SCORE_FIELDS,
    ActionStatus,
    FollowUp,
    ImprovementAction,
    Recurrence,
    Survey,
    SurveyResponse,
    Verification,
)

VIEW_PERMISSION = "evaluation.view_verification"
MAX_CANDIDATES = 10


def _count(queryset, field: str = "ticket"):
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _own_results(survey_fields) -> dict:
    """This chapter's annotations of the results (the SLA targets, reopens, recurrences, the survey's
    ``survey_fields``); the other chapters add theirs through the registry."""
    annotations = {}
    for target in (SlaTargetKind.RESPONSE, SlaTargetKind.RESOLUTION):
        slas = TicketSla.objects.filter(ticket=OuterRef("pk"), target=target)
        annotations[f"ev_{target}_met_at"] = Subquery(slas.values("met_at")[:1])
        annotations[f"ev_{target}_due_at"] = Subquery(slas.values("due_at")[:1])
        annotations[f"ev_{target}_state"] = Subquery(slas.values("state")[:1])
    annotations["ev_reopen_count"] = _count(
        StageChange.objects.filter(from_stage=Stage.CLOSED, to_stage__in=Stage.open_stages())
    )
    annotations["ev_recurrence_count"] = _count(Recurrence.objects.all(), field="original")
    latest = SurveyResponse.objects.filter(ticket=OuterRef("pk")).order_by("-submitted_at", "-id")
    for name in survey_fields:
        annotations[f"ev_survey_{name}"] = Subquery(latest.values(name)[:1])
    return annotations


def with_results(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate each ticket with everything its results need (see the module docstring)."""
    annotations = _own_results((*SCORE_FIELDS, "comment", "submitted_at"))
    return chapters.annotate_results(queryset.annotate(**annotations))


def _met(met_at, due_at, state) -> bool | None:
    if met_at is not None:
        return due_at is None or met_at <= due_at
    if state == SlaState.BREACHED:
        return False
    return None


@dataclass
class TicketResults:
    response_met: bool | None  # None: not measured yet
    resolution_met: bool | None
    reopen_count: int
    hours: Decimal
    requirements_total: int
    requirements_delivered: int
    recurrence_count: int
    scores: dict | None  # field name → 1–5, None when the customer has not answered
    comment: str
    survey_submitted_at: datetime | None

    @property
    def requirements_label(self) -> str:
        if not self.requirements_total:
            return ""
        return f"{self.requirements_delivered}/{self.requirements_total}"

    @property
    def satisfied(self) -> bool | None:
        if self.scores is None:
            return None
        return self.scores["overall"] >= CSAT_SATISFIED_MIN


def results_of(ticket: Ticket) -> TicketResults:
    """The results of a ticket annotated by with_results (no query)."""
    scores = None
    if ticket.ev_survey_overall is not None:
        scores = {name: getattr(ticket, f"ev_survey_{name}") for name in SCORE_FIELDS}
    return TicketResults(
        response_met=_met(ticket.ev_response_met_at, ticket.ev_response_due_at, ticket.ev_response_state),
        resolution_met=_met(
            ticket.ev_resolution_met_at, ticket.ev_resolution_due_at, ticket.ev_resolution_state
        ),
        reopen_count=ticket.ev_reopen_count,
        # From the other chapters (toolkit.chapters): absent when that chapter is not installed.
        hours=getattr(ticket, "ev_hours", None) or Decimal(0),
        requirements_total=getattr(ticket, "ev_requirements_total", 0),
        requirements_delivered=getattr(ticket, "ev_requirements_delivered", 0),
        recurrence_count=ticket.ev_recurrence_count,
        scores=scores,
        comment=ticket.ev_survey_comment or "",
        survey_submitted_at=ticket.ev_survey_submitted_at,
    )


def ticket_results(ticket: Ticket) -> TicketResults:
    """One query."""
    return results_of(with_results(Ticket.objects.filter(pk=ticket.pk)).get())


def ticket_for_page(number: str) -> Ticket:
    """The ticket with its results, customer, owner and verification, in one query (raises DoesNotExist)."""
    return (
        with_results(Ticket.objects.filter(number=number))
        .select_related("customer", "owner", "verification", "verification__verified_by")
        .get()
    )


def verification_of(ticket: Ticket) -> Verification | None:
    try:
        return ticket.verification
    except Verification.DoesNotExist:
        return None


def follow_ups_of(ticket: Ticket) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(ticket=ticket).select_related("assignee").order_by("due_at", "id")


def recurrences_of(ticket: Ticket) -> QuerySet[Recurrence]:
    return Recurrence.objects.filter(original=ticket).select_related("new_ticket", "detected_by")


def recurrence_of_links(ticket: Ticket) -> QuerySet[Recurrence]:
    """Where this ticket is itself the recurrence of an earlier one."""
    return Recurrence.objects.filter(new_ticket=ticket).select_related("original")


def recurrence_candidates(ticket: Ticket, *, reference_time) -> QuerySet[Ticket]:
    """Same customer, same problem type, recorded within 30 days after the verification/closing, not linked
    yet. Empty without a reference time."""
    if reference_time is None:
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(
            customer_id=ticket.customer_id,
            problem_type=ticket.problem_type,
            recorded_at__gte=reference_time,
            recorded_at__lte=reference_time + timedelta(days=RECURRENCE_WINDOW_DAYS),
        )
        .exclude(pk=ticket.pk)
        .exclude(recurrence_of__original=ticket)
        .order_by("recorded_at", "id")[:MAX_CANDIDATES]
    )


def actions_of(ticket: Ticket) -> QuerySet[ImprovementAction]:
    return (
        ImprovementAction.objects.filter(ticket=ticket)
        .select_related("owner")
        .order_by("status", "due_date", "id")
    )


def surveys_of(ticket: Ticket) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(ticket=ticket)
        .select_related("created_by", "voided_by", "response")
        .order_by("-created_at", "-id")
    )


# ---------------------------------------------------------------- the ticket detail page's card


@dataclass
class PanelSummary:
    """The part of the results the card shows, and the visits and actions still to do."""

    verification: Verification | None
    response_met: bool | None  # None: not measured yet
    resolution_met: bool | None
    reopen_count: int
    recurrence_count: int
    overall: int | None  # the latest survey answer's overall satisfaction, None before any answer
    comment: str
    next_follow_up_at: datetime | None
    open_action_count: int


def _panel_rows(ticket: Ticket, *, with_verification: bool) -> list[tuple]:
    """The rows the card is made of, from its tables in one UNION ALL of plain column reads (no COUNT
    subqueries: a dozen of them on the ticket's row took the ticket page longer to build than to run).
    Each row: (kind, text, text, time, time, number, number); a ticket has only a handful of each."""
    text, time, number = CharField(), DateTimeField(), IntegerField()

    def row(queryset, kind, *columns):
        # A bare NULL would take its type from the first part (text): cast it to the column's type.
        typed = [Cast(Value(None), field) if column is None else column for column, field in columns]
        return queryset.order_by().values_list(Value(kind, output_field=text), *typed)

    empty = ((None, text), (None, text), (None, time), (None, time), (None, number), (None, number))
    parts = [
        row(
            TicketSla.objects.filter(
                ticket=ticket, target__in=[SlaTargetKind.RESPONSE, SlaTargetKind.RESOLUTION]
            ),
            "sla",
            *(("target", text), ("state", text), ("met_at", time), ("due_at", time)),
            *((None, number), (None, number)),
        ),
        row(
            StageChange.objects.filter(
                ticket=ticket, from_stage=Stage.CLOSED, to_stage__in=Stage.open_stages()
            ),
            "reopen",
            *empty,
        ),
        row(Recurrence.objects.filter(original=ticket), "recurrence", *empty),
        row(
            SurveyResponse.objects.filter(ticket=ticket),
            "survey",
            *((None, text), ("comment", text), ("submitted_at", time), (None, time)),
            *(("overall", number), ("id", number)),
        ),
        row(
            FollowUp.objects.filter(ticket=ticket, done_at__isnull=True),
            "follow_up",
            *((None, text), (None, text), ("due_at", time), (None, time), (None, number), (None, number)),
        ),
        row(
            ImprovementAction.objects.filter(ticket=ticket).exclude(status=ActionStatus.DONE),
            "action",
            *empty,
        ),
    ]
    if with_verification:
        parts.append(
            row(
                Verification.objects.filter(ticket=ticket),
                "verification",
                *((None, text), (None, text), (None, time), (None, time), ("id", number), (None, number)),
            )
        )
    return list(parts[0].union(*parts[1:], all=True))


def evaluation_panel(ticket: Ticket) -> PanelSummary:
    """What the ticket detail page shows of chapter 5, in one query: the same figures as with_results
    (first response and resolution met, reopens, recurrences, the latest survey answer) for this one
    ticket, without the other chapters' share of the results, which the card does not show.

    The verification comes with the ticket on its page (toolkit.chapters ticket_relations); a ticket
    without it loaded costs one more query when its resolution is verified."""
    loaded = chapters.loaded_relation(ticket, "verification")
    rows = _panel_rows(ticket, with_verification=loaded is chapters.NOT_LOADED)
    of_kind: dict[str, list[tuple]] = {}
    for kind, *values in rows:
        of_kind.setdefault(kind, []).append(tuple(values))
    met = {
        target: _met(met_at, due_at, state)
        for target, state, met_at, due_at, _n, _m in of_kind.get("sla", [])
    }
    # The latest answer, as with_results orders them (submitted_at, then id, newest first).
    latest = max(of_kind.get("survey", []), key=lambda answer: (answer[2], answer[5]), default=None)
    due = [due_at for _t, _u, due_at, *_rest in of_kind.get("follow_up", [])]
    verification = None if loaded is chapters.NOT_LOADED else loaded
    if "verification" in of_kind:
        verification = Verification.objects.select_related("verified_by").filter(ticket=ticket).first()
    # The page's stage card asks the same ticket for it next (resolution_verified): no second query.
    Ticket._meta.get_field("verification").set_cached_value(ticket, verification)
    return PanelSummary(
        verification=verification,
        response_met=met.get(SlaTargetKind.RESPONSE),
        resolution_met=met.get(SlaTargetKind.RESOLUTION),
        reopen_count=len(of_kind.get("reopen", [])),
        recurrence_count=len(of_kind.get("recurrence", [])),
        overall=latest[4] if latest else None,
        comment=(latest[1] or "") if latest else "",
        next_follow_up_at=min(due, default=None),
        open_action_count=len(of_kind.get("action", [])),
    )


# ---------------------------------------------------------------- the monthly report


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[first instant of the month, first instant of the next) in the team's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def evaluated_in(start: datetime, end: datetime) -> QuerySet[Ticket]:
    """Tickets whose resolution was verified in [start, end), or, never verified, closed in it; with
    results. Each ticket belongs to one month."""
    closed = StageChange.objects.filter(
        ticket=OuterRef("pk"), to_stage=Stage.CLOSED, changed_at__gte=start, changed_at__lt=end
    )
    return (
        with_results(Ticket.objects.all())
        .filter(
            Q(verification__verified_at__gte=start, verification__verified_at__lt=end)
            | Q(verification__isnull=True) & Exists(closed)
        )
        .select_related("customer", "owner", "verification")
        .order_by("verification__verified_at", "number")
    )


# ---------------------------------------------------------------- the evaluation page

VERIFY = "evaluation.add_verification"
CHANGE_VERIFICATION = "evaluation.change_verification"
ADD_FOLLOW_UP = "evaluation.add_followup"
CHANGE_FOLLOW_UP = "evaluation.change_followup"
ADD_RECURRENCE = "evaluation.add_recurrence"
DELETE_RECURRENCE = "evaluation.delete_recurrence"
ADD_ACTION = "evaluation.add_improvementaction"
CHANGE_ACTION = "evaluation.change_improvementaction"
ADD_SURVEY = "evaluation.add_survey"


def evaluation_page_data(ticket: Ticket, *, user) -> dict:
    """What the evaluation page shows of ``ticket`` and what ``user`` may do there (the view adds its forms).

    The contact's e-mail is masked unless the user may see contact details (toolkit.privacy)."""
    # exports reads this module, and services are loaded after it: imported here, not at the top.
    from . import services
    from .exports import EXPORT_PERMISSION

    verification = verification_of(ticket)
    perms = user.get_all_permissions()
    reference = (
        services.recurrence_reference_time(ticket) if verification is None else verification.verified_at
    )
    email = services.contact_email(ticket)
    if email and not can_see_contact_details(user, ticket):
        email = mask_contact_details(email)
    surveys = list(surveys_of(ticket))
    now = timezone.now()
    pending = next((survey for survey in surveys if survey.is_usable(now)), None)
    answered = any(survey.used_at for survey in surveys)
    can_void_survey = services.user_can_void_survey(user, ticket)
    return {
        "ticket": ticket,
        "results": results_of(ticket),
        "verification": verification,
        "follow_ups": list(follow_ups_of(ticket)),
        "recurrences": list(recurrences_of(ticket)),
        "recurrence_of": list(recurrence_of_links(ticket)),
        "candidates": list(recurrence_candidates(ticket, reference_time=reference)),
        "reference_time": reference,
        "actions": list(actions_of(ticket)),
        "surveys": surveys,
        "pending_survey": pending,
        "survey_answered": answered,
        "can_void_survey": can_void_survey,
        "contact_email": email,
        "now": now,
        "can_verify": ticket.stage != Stage.CANCELLED and {VERIFY, CHANGE_VERIFICATION} <= perms,
        "can_close": verification is not None
        and ticket.is_open
        and CHANGE_VERIFICATION in perms
        and can_change_stage(user, ticket, Stage.CLOSED),
        "can_add_follow_up": ADD_FOLLOW_UP in perms,
        "can_change_follow_up": CHANGE_FOLLOW_UP in perms,
        "can_link": ADD_RECURRENCE in perms and reference is not None,
        "can_unlink": DELETE_RECURRENCE in perms,
        "can_add_action": ADD_ACTION in perms,
        "can_change_action": CHANGE_ACTION in perms,
        "can_survey": ADD_SURVEY in perms
        and ticket.stage != Stage.CANCELLED
        and not answered
        and (pending is None or can_void_survey),
        "can_export": EXPORT_PERMISSION in perms,
    }
