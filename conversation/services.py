"""Writes to a ticket's conversation: replies (mailed to the contact), internal notes, the customer's
messages, canned replies; and the outgoing reply mail, sent exactly once with a lease and retries.

Exactly once, as toolkit.notifications does it for reminders: a reply row is claimed by one conditional
UPDATE (pending and due, or sending under a claim older than the lease: its worker died) before it is
mailed; only the caller whose UPDATE touched the row sends, and the outcome is written only while the
claim is still its own. A worker that dies after the mail server accepted the mail but before SENT was
written sends it again after the lease, with the same Message-ID, so the customer's mail program shows
one message.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from toolkit import events, languages, notifications, signals, sla
from toolkit import services as core
from toolkit.choices import EventKind, Stage
from toolkit.models import StageChange, Ticket

from .choices import EmailStatus, MessageChannel, MessageKind
from .models import MESSAGE_ID_MAX, CannedReply, Message
from .selectors import ticket_for_mail

__all__ = [
    "canned_reply_delete",
    "canned_reply_render",
    "canned_reply_save",
    "customer_message_receive",
    "note_add",
    "replies_due",
    "reply_email_send",
    "reply_send",
    "ticket_for_mail",
]

logger = logging.getLogger(__name__)

WRITE_PERMISSION = "toolkit.change_ticket"  # the same as adding a clarification
MANAGE_SHARED_PERMISSION = "conversation.change_cannedreply"
BODY_MAX = 20_000
SUMMARY_MAX = 60
# References keeps the thread's first Message-ID and the latest ones (RFC 5322 §3.6.4 lets us trim).
REFERENCES_KEEP = 20
LAST_ERROR_MAX = 2000
# Mail servers commonly refuse messages over 10-25 MB, and base64 adds a third.
MAIL_FILES_MAX_BYTES = 10 * 1024 * 1024
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# @username (Django usernames: letters, digits, @ . + - _), not the middle of an e-mail address.
_MENTION = re.compile(r"(?<![\w.+-])@([\w.+-]+)")
PLACEHOLDERS = ("customer", "contact", "ticket", "engineer")


# ---------------------------------------------------------------- helpers


def ensure_can_write(user) -> None:
    if not (user is not None and user.is_authenticated and user.has_perm(WRITE_PERMISSION)):
        raise PermissionDenied(_("You may not write in this ticket's conversation."))


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").rstrip()
    if not body.strip():
        raise ValidationError({"body": _("Write the text.")}, code="empty")
    if len(body) > BODY_MAX:
        raise ValidationError(
            {"body": _("The text is too long (at most %(max)d characters).") % {"max": BODY_MAX}},
            code="too_long",
        )
    return body


def normalise_message_id(value: str) -> str:
    """``<id@host>`` with its angle brackets (mail headers differ in how they carry them), or ""."""
    value = (value or "").strip()
    if not value:
        return ""
    found = _MESSAGE_ID.search(value)
    if found:
        return found.group()[:MESSAGE_ID_MAX]
    return f"<{value.strip('<>')}>"[:MESSAGE_ID_MAX]


def message_id_domain() -> str:
    """settings.MESSAGE_ID_DOMAIN, else the domain of the address replies come from."""
    configured = getattr(settings, "MESSAGE_ID_DOMAIN", "")
    if configured:
        return configured
    address = parseaddr(reply_from_address())[1]
    return address.rpartition("@")[2] or "localhost"


def reply_from_address() -> str:
    return getattr(settings, "REPLY_FROM_EMAIL", "") or settings.DEFAULT_FROM_EMAIL


def message_id_make(ticket: Ticket) -> str:
    """``<TS-20231001-0001.3f9a…@domain>``: the ticket is readable in it, the random part makes it unique."""
    return f"<{ticket.number}.{secrets.token_hex(10)}@{message_id_domain()}>"


def contact_address(ticket: Ticket) -> str:
    """Where a reply goes: the contact's e-mail, else an e-mail address in the ticket's contact details."""
    candidates = [ticket.contact.email, *_EMAIL_IN_TEXT.findall(ticket.contact_details or "")]
    for candidate in candidates:
        candidate = (candidate or "").strip()
        if not candidate:
            continue
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return ""


def contact_language(ticket: Ticket) -> str:
    return languages.supported(ticket.contact.language) or languages.team_language()


def ticket_summary(ticket: Ticket) -> str:
    """The first line of the customer's description, short enough for a subject line."""
    for line in (ticket.description or "").splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= SUMMARY_MAX else line[: SUMMARY_MAX - 1] + "…"
    return _("Your request")


def reply_subject(ticket: Ticket) -> str:
    """``[TS-…] summary`` in the active language; the bracketed number is what inbound mail matches."""
    return _("[%(number)s] %(summary)s") % {"number": ticket.number, "summary": ticket_summary(ticket)}


def _thread_parent(ticket: Ticket) -> Message | None:
    """The latest message of the e-mail thread (a reply we mail or a customer's mail), or None."""
    return (
        Message.objects.filter(ticket=ticket, kind__in=MessageKind.public())
        .exclude(message_id="")
        .order_by("-created_at", "-id")
        .first()
    )


def _references(parent: Message) -> str:
    ids = _MESSAGE_ID.findall(parent.references) or _MESSAGE_ID.findall(parent.in_reply_to)
    ids = [*ids, parent.message_id]
    unique = list(dict.fromkeys(ids))
    if len(unique) > REFERENCES_KEEP:
        unique = [unique[0], *unique[-(REFERENCES_KEEP - 1) :]]
    return " ".join(unique)


def attachments_ready() -> bool:
    """Whether files can go with a message (the attachments app and its service are there)."""
    if not apps.is_installed("attachments"):
        return False
    try:
        from attachments.services import attachments_add  # noqa: F401
    except ImportError:
        return False
    return True


def uploaded_files(request) -> list[Any]:
    """The files a reply or note form sent (the attachments app's field), none without that app."""
    if not attachments_ready():
        return []
    from attachments.forms import FIELD_NAME

    return request.FILES.getlist(FIELD_NAME)


def _attach(*, ticket: Ticket, files: Sequence[Any], by, message: Message, from_customer: bool = False):
    if not files:
        return []
    if not attachments_ready():
        raise ValidationError(_("Files cannot be attached here."))
    from attachments.services import attachments_add

    return attachments_add(
        ticket=ticket, files=list(files), by=by, target=message, from_customer=from_customer
    )


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= 140 else text[:139] + "…"


def mentioned_users(body: str, *, exclude=None) -> list:
    """Active users named as ``@username`` in the text (case-insensitive), at most 20."""
    names = {name.rstrip(".").lower() for name in _MENTION.findall(body or "")}
    names.discard("")
    if not names:
        return []
    query = Q()
    for name in list(names)[:20]:
        query |= Q(username__iexact=name)
    users = get_user_model().objects.filter(query, is_active=True)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users.order_by("pk"))


def _notify_mentions(*, ticket: Ticket, message: Message, by) -> None:
    users = mentioned_users(message.body, exclude=by)
    if not users:
        return
    events.notify(
        kind=EventKind.MENTIONED,
        recipients=users,
        actor=by,
        ticket=ticket,
        params={"excerpt": _excerpt(message.body)},
    )


def replies_enqueue(message_ids: Iterable[int]) -> int:
    """Queue one send per reply on the outbound queue; a broker that is down is logged, not raised
    (the replies stay pending and the periodic scan queues them again)."""
    from .tasks import reply_email_task

    ids = list(message_ids)
    queued = 0
    if not ids:
        return 0
    from kombu.exceptions import OperationalError as BrokerError

    options = {
        "queue": settings.OUTBOUND_QUEUE,
        "soft_time_limit": notifications.send_time_limit(),
        "time_limit": notifications.task_time_limit(),
        "expires": 10 * 60,
    }
    try:
        with reply_email_task.app.producer_or_acquire() as producer:
            for pk in ids:
                reply_email_task.apply_async((pk,), producer=producer, **options)
                queued += 1
    except (BrokerError, OSError) as error:
        logger.warning(
            "Replies: broker unreachable, %d of %d queued; the rest wait (%s)", queued, len(ids), error
        )
    return queued


# ---------------------------------------------------------------- replies and notes


@transaction.atomic
def reply_send(
    *, ticket: Ticket, body: str, by, files: Sequence[Any] = (), channel: str = MessageChannel.WEB
) -> Message:
    """A customer-visible reply: recorded, shown on the status page, and mailed to the ticket's contact.

    The mail (threaded on the last message, ``[TS-…]`` subject, the contact's language) goes after
    commit through the outbound queue. Without an address the reply is kept and marked "not e-mailed".
    The first reply meets the first-response target. PermissionDenied without the clarification right.
    """
    ensure_can_write(by)
    body = _clean_body(body)
    ticket = Ticket.objects.select_related("contact", "customer").get(pk=ticket.pk)
    address = contact_address(ticket)
    message = Message(
        ticket=ticket,
        kind=MessageKind.REPLY,
        channel=channel,
        author=by,
        sender_name=by.display_name,
        from_address=parseaddr(reply_from_address())[1],
        body=body,
        email_status=EmailStatus.NONE,
    )
    if address:
        language = contact_language(ticket)
        with translation.override(language):
            subject = reply_subject(ticket)
        parent = _thread_parent(ticket)
        message.to_address = address
        message.language = language
        message.subject = subject[:300]
        message.message_id = message_id_make(ticket)
        message.in_reply_to = parent.message_id if parent else ""
        message.references = _references(parent) if parent else ""
        message.email_status = EmailStatus.PENDING
        message.next_attempt_at = message.created_at
    message.save()
    _attach(ticket=ticket, files=files, by=by, message=message)
    sla.sla_record_response(ticket, at=message.created_at)
    _notify_mentions(ticket=ticket, message=message, by=by)
    signals.emit(signals.TICKET_REPLIED, ticket=ticket, message_id=message.pk, excerpt=_excerpt(body))
    if address:
        pk = message.pk
        transaction.on_commit(lambda: replies_enqueue([pk]))
    return message


@transaction.atomic
def note_add(
    *, ticket: Ticket, body: str, by, files: Sequence[Any] = (), channel: str = MessageChannel.WEB
) -> Message:
    """An internal note: for the team only — never mailed, never on the status page."""
    ensure_can_write(by)
    body = _clean_body(body)
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.NOTE,
        channel=channel,
        author=by,
        sender_name=by.display_name,
        body=body,
    )
    _attach(ticket=ticket, files=files, by=by, message=message)
    _notify_mentions(ticket=ticket, message=message, by=by)
    return message


# ---------------------------------------------------------------- the customer's side


@transaction.atomic
def customer_message_receive(
    *,
    ticket: Ticket,
    body: str,
    channel: str,
    from_address: str = "",
    sender_name: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    files=(),
) -> Message:
    """A message from the customer (mail, status page, API), kept verbatim with its files.

    Idempotent on ``message_id``: the same Message-ID again returns the first message (the database's
    unique constraint decides when two arrive at once). A ticket in evaluation or closed goes back to
    diagnosis and an on-hold one resumes, each with the reason "the customer replied"; the owner is told.
    """
    if channel not in MessageChannel.values:
        raise ValidationError({"channel": _("Unknown channel: %(channel)s") % {"channel": channel}})
    message_id = normalise_message_id(message_id)
    if message_id:
        existing = Message.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
    body = (body or "").replace("\r\n", "\n")
    if not body.strip() and not files:
        raise ValidationError({"body": _("Write the text.")}, code="empty")
    refs = " ".join(_MESSAGE_ID.findall(references or ""))
    message = Message(
        ticket=ticket,
        kind=MessageKind.CUSTOMER,
        channel=channel,
        sender_name=(sender_name or "").strip()[:200],
        from_address=(from_address or "").strip()[:254],
        body=body,
        message_id=message_id,
        in_reply_to=normalise_message_id(in_reply_to),
        references=refs,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not message_id:
            raise
        return Message.objects.get(message_id=message_id)
    _attach(ticket=ticket, files=files, by=None, message=message, from_customer=True)
    ticket = Ticket.objects.select_related("owner", "customer").get(pk=ticket.pk)
    # Those told of the reply read there that the ticket is back at work: no second notice of the move.
    told = events.audience(kind=EventKind.CUSTOMER_REPLIED, recipients=[ticket.owner], ticket=ticket)
    params = {"excerpt": _excerpt(body), "to_stage": _reopen_for_customer(ticket, already_told=told)}
    events.notify(kind=EventKind.CUSTOMER_REPLIED, recipients=[ticket.owner], ticket=ticket, params=params)
    return message


def _stage_before_hold(ticket: Ticket) -> str:
    change = (
        StageChange.objects.filter(ticket=ticket, to_stage=Stage.ON_HOLD)
        .order_by("-changed_at", "-id")
        .first()
    )
    if change is None or change.from_stage in (Stage.ON_HOLD, Stage.CLOSED, Stage.CANCELLED):
        return Stage.DIAGNOSIS
    return change.from_stage


def _reopen_for_customer(ticket: Ticket, *, already_told: set[int]) -> str | None:
    """Resolved or closed → diagnosis; on hold → the stage it was held in. Recorded as the owner's move
    (a customer has no account), with the reason written in the team's language. Returns the new stage,
    or None when the ticket stays where it is."""
    to_stage: str
    if ticket.stage in (Stage.EVALUATION, Stage.CLOSED):
        to_stage = Stage.DIAGNOSIS
    elif ticket.stage == Stage.ON_HOLD:
        to_stage = _stage_before_hold(ticket)
    else:
        return None
    with translation.override(languages.team_language()):
        reason = _("The customer replied.")
    try:
        with transaction.atomic():
            core.ticket_change_stage(
                ticket=ticket,
                to_stage=to_stage,
                reason=reason,
                by=ticket.owner,
                back=True,
                already_told=already_told,
            )
    except (PermissionDenied, ValidationError) as error:
        # The message is kept either way; the owner sees it and moves the ticket themselves.
        logger.warning(
            "Ticket %s stays %s after the customer's message: %s", ticket.number, ticket.stage, error
        )
        return None
    return to_stage


# ---------------------------------------------------------------- sending replies


def _claimable(now):
    """Pending and due, or sending under a claim that has gone stale (its worker died)."""
    stale = now - notifications.lease()
    return Q(email_status=EmailStatus.PENDING, next_attempt_at__lte=now) | Q(
        Q(claimed_at__lte=stale) | Q(claimed_at__isnull=True), email_status=EmailStatus.SENDING
    )


def _status(pk: int) -> str:
    return Message.objects.filter(pk=pk).values_list("email_status", flat=True).first() or ""


def reply_email(message: Message) -> EmailMultiAlternatives:
    """The mail of one reply: the engineer's text and a short footer, plain text with an escaped HTML
    twin; Message-ID, In-Reply-To and References thread it with the customer's mail."""
    with translation.override(languages.supported(message.language) or languages.team_language()):
        footer = _(
            "Ticket %(number)s. Reply to this e-mail to add to it; keep [%(number)s] in the subject."
        ) % {"number": message.ticket.number}
    text = f"{message.body}\n\n-- \n{footer}\n"
    html = f"{linebreaks(escape(message.body))}<hr><p><small>{escape(footer)}</small></p>"
    headers = {"Message-ID": message.message_id, "X-Toolkit-Ticket": message.ticket.number}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=reply_from_address(),
        to=[message.to_address],
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    for attachment in _mail_files(message):
        with attachment.file.open("rb") as handle:
            email.attach(attachment.original_name, handle.read(), attachment.content_type_detected)
    return email


def _mail_files(message: Message) -> list[Any]:
    """The reply's files that go with its mail: all of them while together under MAIL_FILES_MAX_BYTES
    (larger sets stay in the ticket; the engineer sends them another way), deleted ones never."""
    from .selectors import attachments_by_message

    files = [a for a in attachments_by_message([message]).get(message.pk, []) if a.deleted_at is None]
    if sum(a.size for a in files) > MAIL_FILES_MAX_BYTES:
        logger.warning(
            "Reply %s: its files are too large to mail (%s bytes)", message.pk, sum(a.size for a in files)
        )
        return []
    return files


def reply_email_send(message_pk: int) -> str:
    """Claim one reply's mail, send it, record the outcome; returns the status afterwards.

    Sends only when this call's claim succeeded. A failure never raises: it is recorded with a backoff
    (toolkit.notifications.BACKOFF), and after the last attempt the reply is marked failed.
    """
    claimed_at = timezone.now()
    claimed = Message.objects.filter(_claimable(claimed_at), pk=message_pk, kind=MessageKind.REPLY).update(
        email_status=EmailStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return _status(message_pk)
    message = Message.objects.select_related("ticket").get(pk=message_pk)
    mine = Message.objects.filter(pk=message_pk, email_status=EmailStatus.SENDING, claimed_at=claimed_at)
    try:
        reply_email(message).send(fail_silently=False)
    except Exception as error:  # any failure of one mail is recorded, never raised
        return _record_failure(message, mine, error)
    if mine.update(email_status=EmailStatus.SENT, sent_at=timezone.now(), last_error=""):
        return EmailStatus.SENT
    return _status(message_pk)


def _record_failure(message: Message, mine, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX]
    now = timezone.now()
    if message.attempts >= notifications.MAX_ATTEMPTS:
        status, next_attempt_at = EmailStatus.FAILED, now
        logger.error("Reply %s not mailed after %s attempts: %s", message.pk, message.attempts, text)
    else:
        status, next_attempt_at = EmailStatus.PENDING, now + notifications.BACKOFF[message.attempts - 1]
        logger.warning(
            "Reply %s attempt %s failed, retry at %s: %s", message.pk, message.attempts, next_attempt_at, text
        )
    if mine.update(email_status=status, next_attempt_at=next_attempt_at, last_error=text):
        return status
    return _status(message.pk)


def replies_due(*, now=None, limit: int = 500) -> list[int]:
    """Replies whose mail is due (a retry's time has come) or whose claim went stale; oldest first."""
    now = now or timezone.now()
    return list(
        Message.objects.filter(_claimable(now), kind=MessageKind.REPLY)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def replies_due_scan(*, now=None) -> int:
    """Periodic (toolkit.chapters scan): queue the replies whose mail is due. Returns how many."""
    ids = replies_due(now=now)
    if ids:
        transaction.on_commit(lambda: replies_enqueue(ids))
    return len(ids)


# ---------------------------------------------------------------- canned replies


def can_manage_shared(user) -> bool:
    from toolkit.permissions import is_manager

    return is_manager(user) or user.has_perm(MANAGE_SHARED_PERMISSION)


def canned_teams_for(user):
    """The teams whose canned replies ``user`` keeps: all active ones for a manager, else those they lead."""
    from teams.models import Team

    teams = Team.objects.filter(active=True).order_by("name")
    return teams if can_manage_shared(user) else teams.filter(lead_id=user.pk)


def can_edit_canned(user, canned: CannedReply) -> bool:
    """Without a query when ``canned.team`` is loaded (select_related)."""
    if canned.team is not None:
        return can_manage_shared(user) or canned.team.lead_id == user.pk
    if canned.owner_id is None:
        return can_manage_shared(user)
    return canned.owner_id == user.pk


def ensure_can_edit_canned(user, canned: CannedReply) -> None:
    if canned.team_id is not None:
        if not can_edit_canned(user, canned):
            raise PermissionDenied(
                _("Only the team's lead or a manager can change the team's canned replies.")
            )
    elif canned.owner_id is None:
        if not can_manage_shared(user):
            raise PermissionDenied(_("Only managers can change shared canned replies."))
    elif canned.owner_id != user.pk:
        raise PermissionDenied(_("This canned reply is someone else's."))


@transaction.atomic
def canned_reply_save(
    *, by, title: str, body: str, shared: bool = False, canned: CannedReply | None = None, team=None
) -> CannedReply:
    """Create or change a canned reply: personal (the author's own), a team's (its lead or a manager)
    or shared (managers only)."""
    ensure_can_write(by)
    title, body = (title or "").strip(), (body or "").replace("\r\n", "\n").strip()
    if not title:
        raise ValidationError({"title": _("Give the canned reply a title.")})
    if not body:
        raise ValidationError({"body": _("Write the text.")})
    if canned is None:
        canned = CannedReply(created_by=by)
    else:
        ensure_can_edit_canned(by, canned)
    if shared and not can_manage_shared(by):
        raise PermissionDenied(_("Only managers can change shared canned replies."))
    if shared and team is not None:
        raise ValidationError({"team": _("Shared with everyone or kept by one team: choose one.")})
    if team is not None and not canned_teams_for(by).filter(pk=team.pk).exists():
        raise PermissionDenied(_("Only the team's lead or a manager can change the team's canned replies."))
    canned.title, canned.body = title[:100], body
    canned.owner = None if shared or team is not None else by
    canned.team = team
    canned.save()
    return canned


@transaction.atomic
def canned_reply_delete(*, by, canned: CannedReply) -> None:
    ensure_can_edit_canned(by, canned)
    canned.delete()


class _Placeholders(dict):
    """Unknown {names} stay as written, so a stray brace never breaks a reply."""

    def __missing__(self, key):
        return "{" + key + "}"


def canned_reply_render(*, canned: CannedReply, ticket: Ticket, engineer) -> str:
    """The canned text with {customer} {contact} {ticket} {engineer} filled in for this ticket."""
    values = _Placeholders(
        customer=ticket.customer.name,
        contact=ticket.contact.name,
        ticket=ticket.number,
        engineer=engineer.display_name,
    )
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], canned.body)
