"""Reminders and events to people: in-app notifications, email and team chat webhooks.

Two things are told: SLA reminders (a Reminder row, fanned out here by the periodic scan) and events
(an Event row: assigned, the customer replied, a design awaits approval, …; recorded and fanned out by
toolkit.events.notify). Both go through the same rows and the same sending below.

Exactly once, enforced by the database:

* ``reminder_fan_out`` and ``event_fan_out`` insert Notification and Delivery rows with
  ``ignore_conflicts``; their unique constraints (reminder or event + user, reminder or event +
  channel + recipient) make a second call, a retried task or a second worker insert nothing.
* ``delivery_send`` claims a delivery with one conditional UPDATE (pending and due, or sending with a
  claim older than ``lease()``: the worker died mid-send). Only the caller whose UPDATE touched the
  row sends; everyone else gets the current status back. The outcome is written only while the claim
  is still the caller's own. The lease is derived from the send deadlines (and the deliver task's time
  limits are too), so a send still in progress is never taken over.

What the database cannot give: a worker that dies after the mail server or robot accepted the
message but before SENT was written sends it again once the lease runs out. The window is kept to
the request itself: the attempt time is written right before the POST and SENT right after it. A
chat message's body is stored before its first POST, so the repeat is the identical message with
the same ``X-Delivery-Id`` (the idempotency key a receiver or relay can drop repeats by).

Chat webhooks have a circuit breaker (``WEBHOOK_CIRCUIT_FAILURES`` failures in a row, or one
permanent error, pause the webhook for ``WEBHOOK_CIRCUIT_COOL_OFF_SECONDS``; its deliveries wait
without using up attempts, then one tries again, and a success lets the others go). Admins get one
bell notification per run of failures.

Every text is written in its reader's language (toolkit.languages): a bell notification and an e-mail
in the recipient's, fixed when the reminder fans out (the notification is stored as text, and the
e-mail delivery keeps the language); a chat message in the team's (settings.LANGUAGE_CODE). An event
stores no text at all, only its kind and parameters: its bell notification is written when shown, in
the reader's language of that moment, and its e-mail when sent.
Durations are wall-clock time, also for business-hours targets; the due time is shown beside them.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import languages, webhooks
from .choices import Channel, DeliveryStatus, EventKind, NotificationLevel, SlaState, Stage
from .models import ChatWebhook, Delivery, Event, Notification, Reminder, User
from .sla import BREACH_THRESHOLD

logger = logging.getLogger(__name__)

# Seconds a send may need beyond its network deadline: loading, rendering and recording.
SEND_GRACE_SECONDS = 5
# SMTP steps of one e-mail (connect, EHLO, MAIL, RCPT, DATA, QUIT), each bounded by EMAIL_TIMEOUT.
SMTP_STEPS = 6
# How far back the admins' count of failed deliveries looks.
FAILED_RECENTLY = timedelta(hours=24)
# Waits after failed attempts 1..5; the 6th failure is final.
BACKOFF = [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
MAX_ATTEMPTS = len(BACKOFF) + 1
NOTIFICATION_MESSAGE_MAX = Notification._meta.get_field("message").max_length
LAST_ERROR_MAX = 2000

_REMINDER_RELATIONS = ("ticket_sla__ticket__customer", "ticket_sla__ticket__owner__manager")


class PermanentDeliveryError(Exception):
    """Retrying cannot help (the webhook was deleted or turned off): the delivery fails at once."""


def send_time_limit() -> float:
    """Seconds one live send can take: the webhook's total deadline or an e-mail's SMTP steps, plus grace.

    The deliver task's soft time limit; its hard limit and the claim's lease are longer still.
    """
    email = SMTP_STEPS * (settings.EMAIL_TIMEOUT or 10)
    return max(settings.WEBHOOK_TIMEOUT_SECONDS, email) + SEND_GRACE_SECONDS


def task_time_limit() -> float:
    """The deliver task's hard time limit: past it the worker kills the send."""
    return send_time_limit() + SEND_GRACE_SECONDS


def lease() -> timedelta:
    """A claim older than this belongs to a worker that died mid-send: longer than any live send can last."""
    return timedelta(seconds=task_time_limit() + 2 * SEND_GRACE_SECONDS)


# ---------------------------------------------------------------- texts


@dataclass(frozen=True)
class ReminderText:
    """A reminder in words: the one-line message, a title for chat robots, details and the ticket link."""

    breach: bool
    title: str
    line: str
    details: list[str]
    link: str


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def format_minutes(minutes: int) -> str:
    """15 min, 2 h 5 min, 3 d 4 h."""
    minutes = max(0, int(minutes))
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        if rest:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
        return _("%(hours)d h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    return _("%(days)d d") % {"days": days}


def reminder_text(reminder: Reminder) -> ReminderText:
    """The words of one reminder, in the active language. Times count from when the reminder was made,
    so a retry days later says the same thing."""
    sla = reminder.ticket_sla
    ticket = sla.ticket
    breach = reminder.threshold >= BREACH_THRESHOLD
    params = {
        "priority": ticket.priority,
        "number": ticket.number,
        "customer": ticket.customer.name,
        "target": sla.get_target_display(),
        "percent": reminder.threshold,
    }
    if breach:
        title = _("SLA breach")
        overdue = _whole_minutes(reminder.created_at - sla.due_at) if sla.due_at else 0
        if overdue >= 1:
            params["overdue"] = format_minutes(overdue)
            line = _("[%(priority)s breached] %(number)s %(customer)s: %(target)s overdue by %(overdue)s")
        else:
            line = _("[%(priority)s breached] %(number)s %(customer)s: %(target)s overdue")
    else:
        title = _("SLA warning")
        if sla.due_at:
            params["left"] = format_minutes(_whole_minutes(sla.due_at - reminder.created_at))
            line = _(
                "[%(priority)s %(percent)d%%] %(number)s %(customer)s: "
                "%(target)s %(percent)d%% used, %(left)s left"
            )
        else:
            line = _("[%(priority)s %(percent)d%%] %(number)s %(customer)s: %(target)s %(percent)d%% used")
    details = [_("Owner: %(owner)s") % {"owner": ticket.owner.display_name}]
    if sla.due_at:
        due = timezone.localtime(sla.due_at).strftime("%Y-%m-%d %H:%M")
        details.append(_("Due: %(due)s") % {"due": due})
    if breach and ticket.owner.manager_id:
        details.append(_("Escalated to: %(manager)s") % {"manager": ticket.owner.manager.display_name})
    return ReminderText(
        breach=breach,
        title=title,
        line=line % params,
        details=details,
        link=site_url(ticket.get_absolute_url()),
    )


@dataclass(frozen=True)
class EventText:
    """An event in words: a title (its kind), the one-line message, details, the link, and why the
    reader gets it (for the e-mail's footer)."""

    title: str
    line: str
    details: list[str]
    link: str
    reason: str


BATCH_KINDS = (EventKind.ASSIGNED, EventKind.REASSIGNED_AWAY, EventKind.STAGE_CHANGED)


def _batch_line(kind: str, params: dict) -> str:
    """An event for several tickets changed by one action (toolkit.events.one_notice_per_person)."""
    numbers = ", ".join(str(number) for number in params.get("numbers") or [])
    more = int(params["count"]) - len(params.get("numbers") or [])
    if more > 0:
        numbers = _("%(numbers)s and %(more)s more") % {"numbers": numbers, "more": more}
    params = params | {"numbers": numbers, "to_stage": _stage_label(params.get("to_stage"))}
    if kind == EventKind.ASSIGNED:
        return _("%(actor)s assigned %(count)s tickets to you: %(numbers)s") % params
    if kind == EventKind.REASSIGNED_AWAY:
        return _("%(actor)s reassigned %(count)s tickets to %(new_owner)s: %(numbers)s") % params
    return _("%(actor)s moved %(count)s tickets to “%(to_stage)s”: %(numbers)s") % params


def _event_line(event: Event, params: dict) -> str:
    kind = event.kind
    if params.get("count") and kind in BATCH_KINDS:
        return _batch_line(kind, params)
    on_ticket = bool(params.get("number"))
    if kind == EventKind.ASSIGNED:
        if not params.get("actor"):
            return _("%(number)s (%(customer)s) was assigned to you") % params
        return _("%(actor)s assigned %(number)s (%(customer)s) to you") % params
    if kind == EventKind.REASSIGNED_AWAY:
        return _("%(actor)s reassigned %(number)s (%(customer)s) to %(new_owner)s") % params
    if kind == EventKind.CUSTOMER_REPLIED:
        if params.get("to_stage"):  # the reply reopened or resumed the ticket (no separate notice)
            return _("The customer replied on %(number)s (%(customer)s); it is back in “%(to_stage)s”") % (
                params | {"to_stage": _stage_label(params["to_stage"])}
            )
        return _("The customer replied on %(number)s (%(customer)s)") % params
    if kind == EventKind.MENTIONED:
        if on_ticket:
            return _("%(actor)s mentioned you on %(number)s (%(customer)s)") % params
        return _("%(actor)s mentioned you") % params
    if kind == EventKind.DESIGN_AWAITING_APPROVAL:
        return _("%(actor)s submitted the solution design of %(number)s (%(customer)s) for approval") % params
    if kind == EventKind.DESIGN_DECIDED:
        if params.get("decision") == "rejected":
            return _("%(actor)s rejected the solution design of %(number)s (%(customer)s)") % params
        return _("%(actor)s approved the solution design of %(number)s (%(customer)s)") % params
    if kind == EventKind.ARTICLE_AWAITING_REVIEW:
        return _("%(actor)s submitted the article “%(title)s” for review") % params
    if kind == EventKind.STAGE_CHANGED:
        # Stored as codes, named in the reader's language.
        stages = {name: _stage_label(params.get(name)) for name in ("from_stage", "to_stage")}
        return _("%(actor)s moved %(number)s (%(customer)s) from “%(from_stage)s” to “%(to_stage)s”") % (
            params | stages
        )
    raise ValueError(f"unknown event kind {kind!r}")


def _stage_label(code) -> str:
    try:
        return str(Stage(code).label)
    except ValueError:
        return str(code or "")


def _event_reason(kind: str) -> str:
    reasons = {
        EventKind.ASSIGNED: _("You receive this because the ticket was assigned to you."),
        EventKind.REASSIGNED_AWAY: _("You receive this because you owned or follow the ticket."),
        EventKind.CUSTOMER_REPLIED: _("You receive this because you work on this ticket."),
        EventKind.MENTIONED: _("You receive this because you were mentioned."),
        EventKind.DESIGN_AWAITING_APPROVAL: _("You receive this because you may approve solution designs."),
        EventKind.DESIGN_DECIDED: _("You receive this because you wrote or submitted the design."),
        EventKind.ARTICLE_AWAITING_REVIEW: _("You receive this because you may publish knowledge articles."),
        EventKind.STAGE_CHANGED: _("You receive this because you own or follow the ticket."),
    }
    return reasons.get(kind, "")


def event_text(event: Event) -> EventText:
    """The words of one event, in the active language, from its stored kind and parameters only
    (no query). Missing parameters read as empty rather than failing a send."""
    params = {key: "" if value is None else value for key, value in (event.params or {}).items()}
    for key in ("number", "customer", "new_owner", "title", "actor"):
        params.setdefault(key, "")
    if not params.get("actor") and event.kind != EventKind.ASSIGNED:
        params["actor"] = _("Someone")
    details = []
    if params.get("design"):
        details.append(_("Design: %(design)s") % params)
    if params.get("reason"):
        details.append(_("Reason: %(reason)s") % params)
    if params.get("comment"):
        details.append(_("Comment: %(comment)s") % params)
    if params.get("excerpt"):
        details.append(str(params["excerpt"]))
    return EventText(
        title=str(EventKind(event.kind).label),
        line=_event_line(event, params),
        details=details,
        link=site_url(event.link) if event.link else "",
        reason=_event_reason(event.kind),
    )


def notification_text(notification: Notification) -> str:
    """What the bell shows for one notification, in the active language: an event's text is written
    now from the event (select_related("event") to avoid a query per row), others are stored."""
    if notification.event_id:
        return event_text(notification.event).line
    return notification.message


def _whole_minutes(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() / 60))


def _notification_message(text: ReminderText, *, escalated_from=None) -> str:
    message = text.line
    if escalated_from is not None:
        message += " " + _("(escalated: owner %(owner)s)") % {"owner": escalated_from.display_name}
    return message[:NOTIFICATION_MESSAGE_MAX]


def _email(text: ReminderText, reason: str) -> tuple[str, str]:
    body = "\n".join([text.line, "", *text.details, "", _("Open the ticket: %(url)s") % {"url": text.link}])
    return text.line, f"{body}\n\n-- \n{reason}\n"


def _event_email(text: EventText) -> tuple[str, str]:
    lines = [text.line]
    if text.details:
        lines += ["", *text.details]
    if text.link:
        lines += ["", _("Open: %(url)s") % {"url": text.link}]
    body = "\n".join(lines)
    return text.line, f"{body}\n\n-- \n{text.reason}\n"


# ---------------------------------------------------------------- fan-out


def _recipients(reminder: Reminder):
    """(user, escalated_from) pairs: the owner always; on a breach also the owner's (active) manager."""
    owner = reminder.ticket_sla.ticket.owner
    recipients = [(owner, None)]
    manager = owner.manager
    if reminder.threshold >= BREACH_THRESHOLD and manager and manager.is_active and manager.pk != owner.pk:
        recipients.append((manager, owner))
    return recipients


def reminder_fan_out(reminder_id: int) -> list[int]:
    """Notifications and Delivery rows for one reminder; see reminders_fan_out."""
    return reminders_fan_out([reminder_id])


def reminders_fan_out(reminder_ids) -> list[int]:
    """Notifications and Delivery rows for these reminders (owner; on breach also the owner's manager).

    Five queries for any number of reminders. Idempotent: the unique constraints turn a repeated call
    into no-ops. Returns the ids of the reminders' deliveries still pending (all of them the first
    time). Reminders that no longer exist (their ticket was deleted) are skipped.
    """
    reminders = list(
        Reminder.objects.select_related(*_REMINDER_RELATIONS).filter(pk__in=reminder_ids).order_by("pk")
    )
    if not reminders:
        return []
    webhook_ids = list(ChatWebhook.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    notifications, deliveries = [], []
    for reminder in reminders:
        reminder_notifications, reminder_deliveries = _fan_out_rows(reminder, webhook_ids)
        notifications.extend(reminder_notifications)
        deliveries.extend(reminder_deliveries)
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return list(
        Delivery.objects.filter(reminder__in=reminders, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _fan_out_rows(reminder: Reminder, webhook_ids) -> tuple[list[Notification], list[Delivery]]:
    ticket = reminder.ticket_sla.ticket
    recipients = _recipients(reminder)
    level = SlaState.BREACHED if reminder.threshold >= BREACH_THRESHOLD else SlaState.AT_RISK
    notifications = []
    for user, escalated_from in recipients:
        with languages.writing_to(user):
            message = _notification_message(reminder_text(reminder), escalated_from=escalated_from)
        notifications.append(
            Notification(user=user, ticket=ticket, reminder=reminder, level=level, message=message)
        )
    deliveries, addresses = [], set()
    for user, _escalated_from in recipients:
        address = user.email.strip()
        if address and user.is_active and address.lower() not in addresses:
            addresses.add(address.lower())
            deliveries.append(
                Delivery(
                    reminder=reminder,
                    channel=Channel.EMAIL,
                    recipient=address,
                    language=languages.language_of(user),
                )
            )
    for webhook_id in webhook_ids:
        deliveries.append(Delivery(reminder=reminder, channel=Channel.WEBHOOK, recipient=str(webhook_id)))
    return notifications, deliveries


def event_fan_out(*, event: Event, users, webhook_ids=()) -> list[int]:
    """Bell notifications for these users, an e-mail delivery for each of their addresses (in the
    user's language) and a chat delivery for each of these webhooks, for one event.

    Four queries. Idempotent like reminders_fan_out: a repeated call inserts nothing. The caller
    (toolkit.events.notify) has chosen the users: active, never the actor. Returns the event's
    deliveries still pending.
    """
    notifications = [
        Notification(
            user=user, ticket_id=event.ticket_id, event=event, level=NotificationLevel.EVENT, link=event.link
        )
        for user in users
    ]
    deliveries, addresses = [], set()
    for user in users:
        address = (user.email or "").strip()
        if address and user.is_active and address.lower() not in addresses:
            addresses.add(address.lower())
            deliveries.append(
                Delivery(
                    event=event,
                    channel=Channel.EMAIL,
                    recipient=address,
                    language=languages.language_of(user),
                )
            )
    for webhook_id in webhook_ids:
        deliveries.append(Delivery(event=event, channel=Channel.WEBHOOK, recipient=str(webhook_id)))
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return list(
        Delivery.objects.filter(event=event, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# ---------------------------------------------------------------- sending


def _claimable(now):
    """Pending and due, or sending under a claim that has gone stale."""
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        Q(claimed_at__lte=now - lease()) | Q(claimed_at__isnull=True), status=DeliveryStatus.SENDING
    )


def _current_status(delivery_id) -> str:
    return Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or ""


def delivery_send(delivery_id: int) -> str:
    """Claim one delivery, send it, record the outcome. Returns the delivery's status afterwards.

    Sends only when this call's claim succeeded; a delivery someone else holds, already sent, failed
    for good or not yet due is left alone and its status returned ("" when it does not exist).
    A failed send never raises: it is recorded (last_error, backoff or FAILED) and its status returned.
    """
    claimed_at = timezone.now()
    claimed = Delivery.objects.filter(_claimable(claimed_at), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return _current_status(delivery_id)
    delivery = Delivery.objects.select_related(
        "event", *(f"reminder__{relation}" for relation in _REMINDER_RELATIONS)
    ).get(pk=delivery_id)
    mine = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, claimed_at=claimed_at)
    try:
        # Chat robots (and deliveries made before languages were kept) speak the team's language.
        with translation.override(languages.supported(delivery.language) or languages.team_language()):
            if delivery.channel == Channel.WEBHOOK:
                return _send_webhook(delivery, mine)
            _send(delivery)
    except Exception as error:  # any failure of one delivery is recorded, never raised
        return _record_failure(delivery, mine, error)
    if mine.update(status=DeliveryStatus.SENT, sent_at=timezone.now()):
        return DeliveryStatus.SENT
    return _current_status(delivery_id)


def _record_failure(delivery, mine, error) -> str:
    permanent = isinstance(error, PermanentDeliveryError) or getattr(error, "permanent", False)
    message = f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX]
    now = timezone.now()
    if permanent or delivery.attempts >= MAX_ATTEMPTS:
        status, next_attempt_at = DeliveryStatus.FAILED, now
        logger.error(
            "Delivery %s failed for good after %s attempts: %s", delivery.pk, delivery.attempts, message
        )
    else:
        status, next_attempt_at = DeliveryStatus.PENDING, now + BACKOFF[delivery.attempts - 1]
        logger.warning(
            "Delivery %s attempt %s failed, retry at %s: %s",
            delivery.pk,
            delivery.attempts,
            next_attempt_at.isoformat(),
            message,
        )
    if mine.update(status=status, next_attempt_at=next_attempt_at, last_error=message):
        return status
    return _current_status(delivery.pk)


def _send(delivery: Delivery):
    if delivery.channel == Channel.EMAIL:
        if delivery.event is not None:
            subject, body = _event_email(event_text(delivery.event))
        else:
            reminder = delivery.reminder
            subject, body = _email(reminder_text(reminder), _email_reason(reminder, delivery.recipient))
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [delivery.recipient], fail_silently=False)
        return
    raise PermanentDeliveryError(f"unknown channel {delivery.channel!r}")


def _webhook_payload(delivery: Delivery, webhook: ChatWebhook) -> str:
    """The body to post: the one stored at the first attempt, else rendered now."""
    if delivery.payload:
        return delivery.payload
    if delivery.event is not None:
        told = event_text(delivery.event)
        message = webhooks.ChatMessage(
            title=told.title, text="\n".join([told.line, *told.details]), link=told.link, breach=False
        )
    else:
        text = reminder_text(delivery.reminder)
        message = webhooks.ChatMessage(
            title=text.title, text="\n".join([text.line, *text.details]), link=text.link, breach=text.breach
        )
    return webhooks.encode(webhooks.build_payload(webhook.kind, message)).decode("utf-8")


def _send_webhook(delivery: Delivery, mine) -> str:
    """Post one chat delivery through its webhook's circuit breaker; record the outcome, return the status."""
    webhook = ChatWebhook.objects.filter(pk=int(delivery.recipient)).first()
    if webhook is None:
        raise PermanentDeliveryError("the chat webhook was deleted")
    if not webhook.active:
        raise PermanentDeliveryError("the chat webhook was turned off")
    wait_until = _circuit_wait(webhook)
    if wait_until is not None:
        # Paused: nothing is sent and no attempt is used up; the delivery waits for the webhook.
        if mine.update(
            status=DeliveryStatus.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=wait_until,
            last_error=f"waiting: the webhook is paused after failures ({webhook.last_error})"[
                :LAST_ERROR_MAX
            ],
        ):
            return DeliveryStatus.PENDING
        return _current_status(delivery.pk)
    body = _webhook_payload(delivery, webhook)
    # Recorded right before the POST: the body (so a retry repeats it) and the attempt time.
    attempt_at = timezone.now()
    if not mine.update(claimed_at=attempt_at, payload=body):
        return _current_status(delivery.pk)
    mine = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=attempt_at)
    try:
        webhooks.post(webhook.kind, webhook.url, body.encode("utf-8"), delivery_id=delivery.pk)
    except webhooks.WebhookError as error:
        _webhook_failed(webhook, error)
        return _record_failure(delivery, mine, error)
    sent = mine.update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    _webhook_succeeded(webhook)
    return DeliveryStatus.SENT if sent else _current_status(delivery.pk)


# ---------------------------------------------------------------- circuit breaker and admin alerts


def _circuit_wait(webhook: ChatWebhook):
    """None when this delivery may post now; else the time its webhook's pause ends.

    Once the pause is over, exactly one delivery takes the trial (a conditional UPDATE that pushes the
    pause on by another cool-off); the others wait for its outcome.
    """
    until = webhook.circuit_open_until
    if until is None:
        return None
    now = timezone.now()
    if until > now:
        return until
    extended = now + timedelta(seconds=settings.WEBHOOK_CIRCUIT_COOL_OFF_SECONDS)
    if ChatWebhook.objects.filter(pk=webhook.pk, circuit_open_until=until).update(
        circuit_open_until=extended
    ):
        return None  # this delivery is the trial
    return (
        ChatWebhook.objects.filter(pk=webhook.pk).values_list("circuit_open_until", flat=True).first() or None
    )


def _webhook_failed(webhook: ChatWebhook, error: webhooks.WebhookError) -> None:
    """Count a failure; open the circuit at the threshold (at once for a permanent error) and tell admins."""
    now = timezone.now()
    threshold = max(1, settings.WEBHOOK_CIRCUIT_FAILURES)
    ChatWebhook.objects.filter(pk=webhook.pk).update(
        consecutive_failures=F("consecutive_failures") + 1,
        last_failure_at=now,
        last_error=str(error)[:LAST_ERROR_MAX],
    )
    failures = (
        ChatWebhook.objects.filter(pk=webhook.pk).values_list("consecutive_failures", flat=True).first()
    )
    if failures is None or (failures < threshold and not error.permanent):
        return
    until = now + timedelta(seconds=settings.WEBHOOK_CIRCUIT_COOL_OFF_SECONDS)
    ChatWebhook.objects.filter(pk=webhook.pk).update(circuit_open_until=until)
    logger.error("Chat webhook %s paused until %s after %s failures: %s", webhook.pk, until, failures, error)
    # Once per run of failures: the first caller to set admins_alerted_at writes the notifications.
    if ChatWebhook.objects.filter(pk=webhook.pk, admins_alerted_at__isnull=True).update(
        admins_alerted_at=now
    ):
        _tell_admins(webhook, str(error))


def _webhook_succeeded(webhook: ChatWebhook) -> None:
    """Close the circuit and let the deliveries that waited for it go at the next scan."""
    if webhook.consecutive_failures or webhook.circuit_open_until or webhook.admins_alerted_at:
        _close_circuits([webhook.pk])
        logger.info("Chat webhook %s answers again; its waiting deliveries go with the next scan", webhook.pk)


def webhooks_resume(*, webhook_ids) -> int:
    """An admin's "resume now": close these webhooks' circuits. Returns how many were paused or failing."""
    paused = list(
        ChatWebhook.objects.filter(pk__in=webhook_ids)
        .filter(Q(circuit_open_until__isnull=False) | Q(consecutive_failures__gt=0))
        .values_list("pk", flat=True)
    )
    _close_circuits(paused)
    return len(paused)


@transaction.atomic
def _close_circuits(webhook_ids) -> None:
    now = timezone.now()
    ChatWebhook.objects.filter(pk__in=webhook_ids).update(
        consecutive_failures=0, circuit_open_until=None, admins_alerted_at=None
    )
    # Deliveries that waited (or backed off) behind the failures are due now.
    Delivery.objects.filter(
        channel=Channel.WEBHOOK,
        recipient__in=[str(pk) for pk in webhook_ids],
        status=DeliveryStatus.PENDING,
        next_attempt_at__gt=now,
    ).update(next_attempt_at=now)


def admins():
    """Active users who look after deliveries (the admin role's permission, or superusers)."""
    permission = Permission.objects.filter(content_type__app_label="toolkit", codename="view_delivery")
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)
        )
        .distinct()
    )


def _webhook_failing_message(webhook: ChatWebhook, error: str) -> str:
    message = _(
        "Chat webhook %(name)s keeps failing and is paused; its reminders wait until it answers again. "
        "Last error: %(error)s"
    ) % {"name": webhook.name, "error": error}
    return message[:NOTIFICATION_MESSAGE_MAX]


def _tell_admins(webhook: ChatWebhook, error: str) -> None:
    link = reverse("admin:toolkit_chatwebhook_change", args=[webhook.pk])
    notifications = []
    for user in admins():
        with languages.writing_to(user):
            message = _webhook_failing_message(webhook, error)
        notifications.append(
            Notification(user=user, level=NotificationLevel.FAILURE, message=message, link=link)
        )
    Notification.objects.bulk_create(notifications)


@dataclass(frozen=True)
class OutboundHealth:
    """Outgoing deliveries at a glance, for the admins' dashboard and a health check."""

    failed_recently: int  # deliveries failed for good within FAILED_RECENTLY
    paused_webhooks: list[str]  # names of active chat webhooks whose circuit is open

    @property
    def ok(self) -> bool:
        return not self.failed_recently and not self.paused_webhooks


def outbound_health(*, now=None) -> OutboundHealth:
    """Failed deliveries and paused chat webhooks: two queries.

    Ready for /readyz as a *degraded* signal: a robot that is down elsewhere must not take this
    server out of service, so report it rather than failing readiness.
    """
    now = now or timezone.now()
    failed = Delivery.objects.filter(
        status=DeliveryStatus.FAILED, next_attempt_at__gte=now - FAILED_RECENTLY
    ).count()
    paused = ChatWebhook.objects.filter(active=True, circuit_open_until__isnull=False).order_by("name")
    return OutboundHealth(failed_recently=failed, paused_webhooks=list(paused.values_list("name", flat=True)))


def _email_reason(reminder: Reminder, address: str) -> str:
    owner = reminder.ticket_sla.ticket.owner
    address = address.lower()
    if owner.email and owner.email.strip().lower() == address:
        return _("You receive this as the owner of the ticket.")
    manager = owner.manager
    if manager and manager.email and manager.email.strip().lower() == address:
        return _("You receive this as the manager of %(owner)s.") % {"owner": owner.display_name}
    return _("You receive this as a recipient of SLA reminders.")


def webhook_delivery_ids(delivery_ids) -> set[int]:
    """Which of these deliveries go to chat webhooks (they have a queue of their own)."""
    return set(
        Delivery.objects.filter(pk__in=list(delivery_ids), channel=Channel.WEBHOOK).values_list(
            "pk", flat=True
        )
    )


def deliveries_due(*, now=None, limit=500) -> list[int]:
    """Pending deliveries whose next attempt has come, and claims gone stale (a worker died).

    One query on the (status, next_attempt_at) index, oldest first.
    """
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(_claimable(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
