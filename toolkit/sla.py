"""SLA engine: due times on the policy's clock, pauses, first response, and the periodic scan.

Each ticket has two targets (TicketSla rows): first response and resolution. A target's clock runs from
the ticket's recorded time, on its policy's clock (24×7 or business hours), except while the ticket is
on hold or closed (pauses, read back from the stage history). The 50% and 80% points and the due time
are stored, so the scan only compares instants.

The scan reads the targets whose ``next_check_at`` has come (an index), records at most one Reminder
per target per run — the highest threshold reached, so a scan that was down for hours does not send a
burst of stale warnings — and moves ``next_check_at`` to the next threshold or breach repeat.
Exactly once is the Reminder's unique (target, threshold, repeat) constraint: a second scan running at
the same time inserts nothing (on PostgreSQL it also skips the rows the first one holds).

The ticket's ``sla_state`` (worst state of its targets) and ``sla_due_at`` (earliest due time still
running) are kept current for the table's filter and sort.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from . import signals
from .calendar import Calendar
from .choices import SlaClock, SlaState, SlaTargetKind, Stage
from .models import Reminder, SlaPolicy, StageChange, Ticket, TicketSla

WARNING_THRESHOLDS = (50, 80)
BREACH_THRESHOLD = 100
# Stages in which a target's clock does not run (closed time counts as paused if the ticket reopens).
PAUSED_STAGES = {Stage.ON_HOLD, Stage.CLOSED}
_STATE_RANK = {"": -1, SlaState.OK: 0, SlaState.AT_RISK: 1, SlaState.BREACHED: 2}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class _WallClock:
    """24×7: positions are plain elapsed time."""

    @staticmethod
    def position(moment: datetime) -> timedelta:
        return moment - _EPOCH

    @staticmethod
    def moment(position: timedelta, *, at_day_end: bool) -> datetime:
        return _EPOCH + position


class _Clocks:
    """The two clocks of one operation; the business calendar is loaded from the database only when used."""

    def __init__(self, calendar: Calendar | None = None):
        self._calendar = calendar

    def get(self, clock: str):
        if clock == SlaClock.ALWAYS:
            return _WallClock
        if self._calendar is None:
            self._calendar = Calendar.load()
        return self._calendar


@dataclass(frozen=True)
class Schedule:
    warn50_at: datetime
    warn80_at: datetime
    due_at: datetime


def _moment_after(line, start: datetime, elapsed: timedelta, pauses) -> datetime:
    """The instant at which `elapsed` clock time has run since `start`, skipping the pauses."""
    cursor = line.position(start)
    remaining = elapsed
    for paused_from, paused_until in pauses:
        gap = line.position(paused_from) - cursor
        if gap >= remaining:
            break
        if gap > timedelta(0):
            remaining -= gap
        cursor = max(cursor, line.position(paused_until))
    return line.moment(cursor + remaining, at_day_end=elapsed > timedelta(0))


def schedule(*, started_at, target_minutes, line, pauses=()) -> Schedule:
    """The 50%, 80% and 100% points of a target. `pauses` are (from, until) pairs, sorted, after start."""
    total = timedelta(minutes=target_minutes)
    return Schedule(
        warn50_at=_moment_after(line, started_at, total * 0.5, pauses),
        warn80_at=_moment_after(line, started_at, total * 0.8, pauses),
        due_at=_moment_after(line, started_at, total, pauses),
    )


def _pauses(ticket_id: int, *, since: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """On-hold and closed periods from the stage history; one still going ends at `now`."""
    pauses, paused_from = [], None
    changes = StageChange.objects.filter(ticket_id=ticket_id).order_by("changed_at", "pk")
    for changed_at, to_stage in changes.values_list("changed_at", "to_stage"):
        if to_stage in PAUSED_STAGES:
            if paused_from is None:
                paused_from = changed_at
        elif paused_from is not None:
            pauses.append((paused_from, changed_at))
            paused_from = None
    if paused_from is not None:
        pauses.append((paused_from, max(now, paused_from)))
    return [(max(a, since), b) for a, b in pauses if b > since]


def _state_at(sla: TicketSla, now: datetime) -> str:
    if sla.due_at is not None and now >= sla.due_at:
        return SlaState.BREACHED
    if sla.warn50_at is not None and now >= sla.warn50_at:
        return SlaState.AT_RISK
    return SlaState.OK


def _repeat_minutes(policy: SlaPolicy | None) -> int:
    return policy.breach_repeat_minutes if policy else 0


def _events(sla: TicketSla, now: datetime, line, repeat_minutes: int):
    """(threshold, repeat) reached by `now` (the highest one, or None) and when to look again (or None)."""
    reached, next_at = None, None
    warn_low, warn_high = WARNING_THRESHOLDS
    for threshold, at in (
        (warn_low, sla.warn50_at),
        (warn_high, sla.warn80_at),
        (BREACH_THRESHOLD, sla.due_at),
    ):
        if at <= now:
            reached = (threshold, 0)
        else:
            return reached, at
    # Breached: repeats every `repeat_minutes` on the policy's clock while it lasts.
    if repeat_minutes <= 0:
        return reached, None
    period = timedelta(minutes=repeat_minutes)
    overdue = line.position(now) - line.position(sla.due_at)
    repeat = int(overdue / period)
    reached = (BREACH_THRESHOLD, repeat)
    next_at = line.moment(line.position(sla.due_at) + period * (repeat + 1), at_day_end=False)
    return reached, next_at


def _refresh(sla: TicketSla, *, now: datetime, clocks: _Clocks, policy: SlaPolicy | None, running: bool):
    """State and next check of one target at `now` (due times already set)."""
    if sla.met_at is not None:
        sla.state = SlaState.BREACHED if sla.met_at > sla.due_at else SlaState.OK
        sla.next_check_at = None
        return
    sla.state = _state_at(sla, now)
    if not running or sla.paused_since is not None:
        sla.next_check_at = None
        return
    # Due now or soon: the scan records what was reached (and reschedules); before that, the first threshold.
    reached, next_at = _events(sla, now, clocks.get(sla.clock), _repeat_minutes(policy))
    sla.next_check_at = now if reached is not None else next_at


def _policies() -> dict[str, SlaPolicy]:
    return {policy.priority: policy for policy in SlaPolicy.objects.all()}


def _plan(sla: TicketSla, *, clocks: _Clocks, now: datetime, ticket_id: int):
    sla.__dict__.update(
        schedule(
            started_at=sla.started_at,
            target_minutes=sla.target_minutes,
            line=clocks.get(sla.clock),
            pauses=_pauses(ticket_id, since=sla.started_at, now=now),
        ).__dict__
    )


def _ticket_summary(slas, *, running: bool) -> tuple[str, datetime | None]:
    """(worst state of the targets, earliest due time among those still running)."""
    state = max((sla.state for sla in slas), key=_STATE_RANK.__getitem__, default="")
    if not running:
        return state, None
    due_times = [sla.due_at for sla in slas if sla.met_at is None and sla.paused_since is None]
    return state, min(due_times, default=None)


def _save_ticket_summary(ticket: Ticket, slas) -> None:
    state, due_at = _ticket_summary(slas, running=_running_for_stage(ticket.stage))
    # update(): SLA bookkeeping is not an edit by anyone, so it stays out of the ticket's history.
    Ticket.objects.filter(pk=ticket.pk).update(sla_state=state, sla_due_at=due_at)
    ticket.sla_state, ticket.sla_due_at = state, due_at


_SLA_FIELDS = ["warn50_at", "warn80_at", "due_at", "met_at", "paused_since", "state", "next_check_at"]


def update_rows(objects, field_names) -> None:
    """Write these fields of these saved objects: one parameterised UPDATE run for every row
    (executemany). Unlike bulk_update, which builds a CASE expression per row and field in Python —
    most of the scan's time for a thousand rows. Names come from the model, values are parameters."""
    objects = list(objects)
    if not objects:
        return
    meta = objects[0]._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _running_for_stage(stage: str) -> bool:
    return stage in Stage.open_stages() and stage != Stage.ON_HOLD


# ---------------------------------------------------------------- events of a ticket


@transaction.atomic
def sla_start(ticket: Ticket, *, now=None) -> list[TicketSla]:
    """Create the ticket's response and resolution targets from its priority's policy."""
    return sla_start_many([ticket], now=now).get(ticket.pk, [])


def sla_start_many(tickets, *, now=None, calendar: Calendar | None = None) -> dict[int, list[TicketSla]]:
    """Targets for new tickets in bulk (intake, import, demo data): a few queries for any number."""
    tickets = list(tickets)
    by_ticket = {}
    for ticket, targets in zip(tickets, sla_plan_new(tickets, now=now, calendar=calendar), strict=True):
        if targets:
            by_ticket[ticket.pk] = [_saved_target(ticket, target) for target in targets]
    TicketSla.objects.bulk_create([sla for slas in by_ticket.values() for sla in slas])
    update_rows([ticket for ticket in tickets if ticket.pk in by_ticket], ["sla_state", "sla_due_at"])
    return by_ticket


@dataclass(slots=True)
class PlannedTarget:
    """A target (TicketSla's columns) before its ticket, or the target's row, exists."""

    target: str
    started_at: datetime
    target_minutes: int
    clock: str
    warn50_at: datetime
    warn80_at: datetime
    due_at: datetime
    met_at: datetime | None = None
    paused_since: datetime | None = None
    state: str = SlaState.OK
    next_check_at: datetime | None = None
    ticket_id: int | None = None  # set by whoever inserts the row


def sla_plan_new(
    tickets, *, now=None, calendar: Calendar | None = None, policies: dict[str, SlaPolicy] | None = None
) -> list[list[PlannedTarget]]:
    """The targets new tickets get from their priority's policy, in the tickets' order (none without a
    policy), and each ticket's summary (sla_state, sla_due_at) set on it.

    No query but the policies (priority → SlaPolicy; pass them, and the calendar, and there is none), and
    no model instance: a bulk writer (the Excel import) calls it before its tickets exist, inserts them
    with their summary, then the targets' rows (ticket_id set).
    """
    now = now or timezone.now()
    policies, clocks = policies if policies is not None else _policies(), _Clocks(calendar)
    # (clock, start, minutes) → its schedule: a bulk of tickets shares few start times (to the minute).
    schedules = {}
    planned = []
    for ticket in tickets:
        policy = policies.get(ticket.priority)
        if policy is None:
            planned.append([])
            continue
        running = _running_for_stage(ticket.stage)
        targets = []
        for kind, minutes in (
            (SlaTargetKind.RESPONSE, policy.first_response_minutes),
            (SlaTargetKind.RESOLUTION, policy.resolution_minutes),
        ):
            key = (policy.clock, ticket.recorded_at, minutes)
            if key not in schedules:
                schedules[key] = schedule(
                    started_at=ticket.recorded_at, target_minutes=minutes, line=clocks.get(policy.clock)
                )
            due = schedules[key]
            target = PlannedTarget(
                kind, ticket.recorded_at, minutes, policy.clock, due.warn50_at, due.warn80_at, due.due_at
            )
            # A ticket logged already past "new" (an import of history, demo data) was already
            # answered, and a closed one resolved; when is unknown, so they count as met at once.
            worked = ticket.stage != Stage.NEW and kind == SlaTargetKind.RESPONSE
            if worked or ticket.stage == Stage.CLOSED:
                target.met_at = ticket.recorded_at
            elif ticket.stage == Stage.ON_HOLD:
                target.paused_since = ticket.recorded_at
            _refresh(target, now=now, clocks=clocks, policy=policy, running=running)
            targets.append(target)
        ticket.sla_state, ticket.sla_due_at = _ticket_summary(targets, running=running)
        planned.append(targets)
    return planned


def _saved_target(ticket: Ticket, planned: PlannedTarget) -> TicketSla:
    """The TicketSla of a planned target of this (saved) ticket."""
    return TicketSla(
        ticket=ticket,
        target=planned.target,
        started_at=planned.started_at,
        target_minutes=planned.target_minutes,
        clock=planned.clock,
        warn50_at=planned.warn50_at,
        warn80_at=planned.warn80_at,
        due_at=planned.due_at,
        met_at=planned.met_at,
        paused_since=planned.paused_since,
        state=planned.state,
        next_check_at=planned.next_check_at,
    )


def _lock_ticket(ticket: Ticket) -> None:
    """Every writer of targets locks their ticket first (then the targets, in target order): one lock
    order for engineers and scans alike, so they never deadlock. A no-op when the caller holds it."""
    list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True))


def _targets(ticket: Ticket, *, lock=True) -> list[TicketSla]:
    query = TicketSla.objects.filter(ticket_id=ticket.pk).order_by("target")
    if lock:
        _lock_ticket(ticket)
        query = query.select_for_update()
    return list(query)


def _save(ticket: Ticket, slas) -> None:
    update_rows(slas, _SLA_FIELDS)
    _save_ticket_summary(ticket, slas)


@transaction.atomic
def sla_record_response(ticket: Ticket, *, at=None) -> bool:
    """The first action on the ticket by a person meets the first-response target. True if it did now."""
    at = at or timezone.now()
    _lock_ticket(ticket)
    sla = (
        TicketSla.objects.select_for_update()
        .filter(ticket_id=ticket.pk, target=SlaTargetKind.RESPONSE, met_at__isnull=True)
        .first()
    )
    if sla is None:
        return False
    sla.met_at = max(at, sla.started_at)
    clocks = _Clocks()
    _plan(sla, clocks=clocks, now=at, ticket_id=ticket.pk)  # a response while on hold: count the pause
    _refresh(sla, now=at, clocks=clocks, policy=None, running=False)
    sla.save(update_fields=[*_SLA_FIELDS])
    _save_ticket_summary(ticket, _targets(ticket, lock=False))
    return True


@transaction.atomic
def sla_on_stage_change(ticket: Ticket, *, from_stage: str, to_stage: str, at=None) -> None:
    """Call after the StageChange row is saved. On hold pauses the clocks and leaving it resumes them
    (due times move by the pause); closed meets both targets (closing answers the customer too);
    reopening resumes resolution; cancelled stops both."""
    at = at or timezone.now()
    slas = _targets(ticket)
    if not slas:
        return
    clocks, policy = _Clocks(), SlaPolicy.objects.filter(priority=ticket.priority).first()
    running = _running_for_stage(to_stage)
    for sla in slas:
        if to_stage == Stage.CLOSED:
            if sla.met_at is None:
                sla.met_at = at
                sla.paused_since = None
                _plan(sla, clocks=clocks, now=at, ticket_id=ticket.pk)
        elif from_stage == Stage.CLOSED and sla.target == SlaTargetKind.RESOLUTION:
            sla.met_at = None  # reopened: the resolution clock goes on, the closed time not counted
        if sla.met_at is None:
            if to_stage == Stage.ON_HOLD:
                sla.paused_since = sla.paused_since or at
            elif to_stage == Stage.CANCELLED:
                sla.paused_since = None
            elif running:
                sla.paused_since = None
                _plan(sla, clocks=clocks, now=at, ticket_id=ticket.pk)
        _refresh(sla, now=at, clocks=clocks, policy=policy, running=running)
    _save(ticket, slas)


@transaction.atomic
def sla_recompute(ticket: Ticket, *, now=None) -> list[TicketSla]:
    """Priority changed: targets of the new policy, due times again from the start, pauses excluded.
    A ticket that had none (no policy for its old priority) gets them now."""
    now = now or timezone.now()
    slas = _targets(ticket)
    policy = SlaPolicy.objects.filter(priority=ticket.priority).first()
    if not slas:
        return sla_start_many([ticket], now=now).get(ticket.pk, [])
    if policy is None:
        return slas
    clocks, running = _Clocks(), _running_for_stage(ticket.stage)
    for sla in slas:
        sla.target_minutes = (
            policy.first_response_minutes
            if sla.target == SlaTargetKind.RESPONSE
            else policy.resolution_minutes
        )
        sla.clock = policy.clock
        _plan(sla, clocks=clocks, now=now, ticket_id=ticket.pk)
        _refresh(sla, now=now, clocks=clocks, policy=policy, running=running)
    update_rows(slas, [*_SLA_FIELDS, "target_minutes", "clock"])
    _save_ticket_summary(ticket, slas)
    return slas


# ---------------------------------------------------------------- the periodic scan


def sla_scan(*, now=None, batch_size=500) -> list[int]:
    """One batch of targets whose next check has come: record their reminders (once each), update their
    state and next check, and their tickets' summary. Returns the ids of the Reminders recorded.

    Locks are taken in the order every writer uses — the ticket, then its targets — so a scan and an
    engineer changing a stage never wait on each other in a circle (a deadlock). A ticket someone is
    changing right now is skipped; the next scan takes it.

    A handful of queries per batch whatever its size. Call it again while it returns ids: there may be more.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = TicketSla.objects.filter(next_check_at__lte=now).order_by("next_check_at", "pk")
        tickets_query = Ticket.objects.filter(pk__in=due.values("ticket_id")[:batch_size]).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            # Another scan, or an engineer, holds some of these: take the others instead of waiting.
            tickets_query = tickets_query.select_for_update(skip_locked=True)
        tickets = {ticket.pk: ticket for ticket in tickets_query}
        if not tickets:
            return []
        slas = list(
            TicketSla.objects.filter(ticket_id__in=tickets, next_check_at__lte=now)
            .order_by("ticket_id", "target")
            .select_for_update()
        )
        if not slas:
            return []
        policies, clocks = _policies(), _Clocks()
        reminders = []
        for sla in slas:
            ticket = tickets[sla.ticket_id]
            sla.ticket = ticket
            policy = policies.get(ticket.priority)
            running = _running_for_stage(ticket.stage)
            if running and sla.met_at is None and sla.paused_since is None:
                reached, next_at = _events(sla, now, clocks.get(sla.clock), _repeat_minutes(policy))
                if reached is not None:
                    threshold, repeat = reached
                    reminders.append(
                        Reminder(ticket_sla=sla, threshold=threshold, repeat=repeat, created_at=now)
                    )
                sla.state = _state_at(sla, now)
                sla.next_check_at = next_at
            else:  # stage or pause changed without going through the engine: stop looking
                sla.next_check_at = None
        # The unique constraint drops what another scan already recorded; read back what this one added.
        Reminder.objects.bulk_create(reminders, ignore_conflicts=True)
        update_rows(slas, ["state", "next_check_at"])
        new_ids = _recorded_ids(reminders, now)
        _refresh_tickets({pk: tickets[pk] for pk in {sla.ticket_id for sla in slas}})
        signals.sla_reminders(new_ids)  # sla.warning / sla.breached to outbound webhooks
    return new_ids


def _recorded_ids(reminders, now) -> list[int]:
    if not reminders:
        return []
    wanted = {(r.ticket_sla_id, r.threshold, r.repeat) for r in reminders}
    rows = Reminder.objects.filter(
        ticket_sla_id__in={r.ticket_sla_id for r in reminders}, created_at=now
    ).values_list("pk", "ticket_sla_id", "threshold", "repeat")
    return sorted(pk for pk, *key in rows if tuple(key) in wanted)


def _refresh_tickets(tickets: dict[int, Ticket]) -> None:
    """Recompute sla_state / sla_due_at of these tickets from all their targets: two queries."""
    by_ticket: dict[int, list[TicketSla]] = {pk: [] for pk in tickets}
    for sla in TicketSla.objects.filter(ticket_id__in=tickets).only(
        "ticket_id", "state", "due_at", "met_at", "paused_since", "next_check_at"
    ):
        by_ticket[sla.ticket_id].append(sla)
    changed = []
    for pk, ticket in tickets.items():
        summary = _ticket_summary(by_ticket[pk], running=_running_for_stage(ticket.stage))
        if summary != (ticket.sla_state, ticket.sla_due_at):
            ticket.sla_state, ticket.sla_due_at = summary
            changed.append(ticket)
    if changed:
        update_rows(changed, ["sla_state", "sla_due_at"])
