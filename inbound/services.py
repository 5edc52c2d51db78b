"""Taking inbound mail: each mail exactly once, into a new ticket or the conversation of the one it answers.

Exactly once comes from the database. ``mail_take`` inserts the mail's InboundMail row (its Message-ID is
unique) at the start of the transaction that does the work, and commits both together. A second poller
taking the same mail waits on that insert (PostgreSQL's unique index; SQLite serialises writers) and then
finds the mail taken; a poller that dies mid-mail rolls back both, so the next poll takes it afresh. A
mail whose processing fails is stored as FAILED in a transaction of its own, with the error and the raw
bytes, for an admin to look at and retry (``mail_retry``); the poll goes on with the next mail.

A lost database connection is not the mail's fault: it propagates (the mail stays unseen in the mailbox
and the next poll takes it) rather than being recorded as a failure.
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from toolkit import chapters, events, roles
from toolkit import services as core
from toolkit.choices import EventKind, Priority, ProblemType, Source
from toolkit.db import retry_on_conflict
from toolkit.models import Contact, Customer, Ticket, User

from . import mailbox, parsing
from .models import InboundMail, InboundStatus, raw_upload_to

logger = logging.getLogger(__name__)

# A description longer than this is cut (the whole mail stays in the stored raw message).
DESCRIPTION_MAX_CHARS = 100_000
# A Date header further back than this is not believed: the ticket occurred when the mail arrived.
OLDEST_BELIEVABLE_DATE = timedelta(days=30)
ERROR_MAX_CHARS = 4000
CONTACT_NAME_MAX = Contact._meta.get_field("name").max_length or 100
SUBJECT_MAX = InboundMail._meta.get_field("subject").max_length or 300
RETRY_PERMISSION = "inbound.change_inboundmail"
# The infrastructure failing (not the mail): let the error through so the mail stays in the mailbox.
_INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)


class InboundSetupError(Exception):
    """The desk cannot take mail as configured (no owner for new tickets): the mail is kept as failed."""


class _AlreadyTaken(Exception):
    def __init__(self, mail: InboundMail):
        self.mail = mail


def own_addresses() -> set[str]:
    """Addresses mail from which is our own echo (a loop): the desk's sender and the mailbox's login."""
    addresses = set()
    for value in (
        settings.DEFAULT_FROM_EMAIL,
        getattr(settings, "SERVER_EMAIL", ""),
        getattr(settings, "REPLY_FROM_EMAIL", ""),
    ):
        _name, address = parsing.email.utils.parseaddr(value or "")
        if address:
            addresses.add(address.lower())
    config = mailbox.configured()
    if config is not None and config.address:
        addresses.add(config.address.lower())
    return addresses


def _store_raw(raw: bytes) -> str:
    """Write the raw mail under its digest; the same bytes written again reuse the file."""
    name = raw_upload_to(None, f"{parsing.raw_digest(raw)}.eml")
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(raw))
    return name


def mail_take(*, raw: bytes, folder: str = "", uid: int | None = None) -> tuple[InboundMail, bool]:
    """Take one mail exactly once. Returns its row and whether this call took it (False: taken before).

    Never raises for a bad mail (it is kept as FAILED); raises only when the database or the storage
    fails, leaving the mail in the mailbox for the next poll.
    """
    key = parsing.mail_key(parsing.message_id_of(raw), raw)
    existing = InboundMail.objects.filter(message_id=key).first()
    if existing is not None:
        return existing, False
    raw_name = _store_raw(raw)
    try:
        return _take(key=key, raw=raw, raw_name=raw_name, folder=folder, uid=uid), True
    except _AlreadyTaken as taken:
        return taken.mail, False
    except _INFRASTRUCTURE_ERRORS:
        raise
    except Exception as error:
        logger.warning("Inbound mail %s could not be processed: %s", key, error, exc_info=True)
        return _keep_failed(key=key, raw=raw, raw_name=raw_name, folder=folder, uid=uid, error=error)


@retry_on_conflict
@transaction.atomic
def _take(*, key: str, raw: bytes, raw_name: str, folder: str, uid: int | None) -> InboundMail:
    try:
        with transaction.atomic():
            mail = InboundMail.objects.create(
                message_id=key,
                folder=folder,
                uid=uid,
                raw=raw_name,
                size=len(raw),
                status=InboundStatus.FAILED,  # until _process says otherwise, in this same transaction
            )
    except IntegrityError:
        raise _AlreadyTaken(InboundMail.objects.get(message_id=key)) from None
    _process(mail, raw)
    return mail


def _keep_failed(
    *, key: str, raw: bytes, raw_name: str, folder: str, uid: int | None, error: BaseException
) -> tuple[InboundMail, bool]:
    sender, subject = parsing.summary_of(raw)
    try:
        with transaction.atomic():
            mail = InboundMail.objects.create(
                message_id=key,
                folder=folder,
                uid=uid,
                raw=raw_name,
                size=len(raw),
                status=InboundStatus.FAILED,
                from_address=sender[:254],
                subject=subject[:SUBJECT_MAX],
                error=_error_text(error),
            )
    except IntegrityError:
        return InboundMail.objects.get(message_id=key), False
    return mail, True


def _error_text(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        text = "; ".join(error.messages)
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:ERROR_MAX_CHARS]


def mail_too_large(
    *, header: bytes, size: int, folder: str = "", uid: int | None = None
) -> tuple[InboundMail, bool]:
    """A mail above INBOUND_EMAIL_MAX_BYTES: kept as FAILED with its header only; it stays in the mailbox."""
    key = parsing.mail_key(parsing.message_id_of(header), header)
    existing = InboundMail.objects.filter(message_id=key).first()
    if existing is not None:
        return existing, False
    raw_name = _store_raw(header)
    error = ValidationError(
        _(
            "The mail is %(size)d bytes, more than the %(max)d bytes taken from the mailbox "
            "(INBOUND_EMAIL_MAX_BYTES); only its header is kept here, the mail itself stays in the mailbox."
        )
        % {"size": size, "max": settings.INBOUND_EMAIL_MAX_BYTES}
    )
    mail, taken = _keep_failed(key=key, raw=header, raw_name=raw_name, folder=folder, uid=uid, error=error)
    if taken:
        InboundMail.objects.filter(pk=mail.pk).update(size=size)
        mail.size = size
    return mail, taken


def mail_retry(*, mail: InboundMail, by: User) -> InboundMail:
    """Process a FAILED mail again from its stored raw bytes (an admin's action).

    Raises PermissionDenied without inbound.change_inboundmail, ValidationError when the mail is not
    failed (any more) or only its header was kept. A second failure updates the error and the count.
    """
    if not by.has_perm(RETRY_PERMISSION):
        raise PermissionDenied(_("You may not process inbound mail again."))
    if mail.status != InboundStatus.FAILED:
        raise ValidationError(_("Only a failed mail can be processed again."))
    raw = _read_raw(mail)
    if mail.size > len(raw):
        raise ValidationError(
            _("Only the header of this mail was kept (it is too large); it is still in the mailbox.")
        )
    try:
        return _retry(mail_pk=mail.pk, raw=raw)
    except _AlreadyTaken as done:
        return done.mail
    except _INFRASTRUCTURE_ERRORS:
        raise
    except Exception as error:
        logger.warning("Inbound mail %s failed again: %s", mail.message_id, error, exc_info=True)
        with transaction.atomic():
            locked = InboundMail.objects.select_for_update().get(pk=mail.pk)
            locked.error = _error_text(error)
            locked.attempts += 1
            locked.save(update_fields=["error", "attempts"])
        return locked


def _read_raw(mail: InboundMail) -> bytes:
    if not mail.raw:
        raise ValidationError(_("The raw message of this mail was not kept."))
    try:
        with mail.raw.open("rb") as handle:
            return handle.read()
    except OSError:
        raise ValidationError(_("The raw message of this mail cannot be read from the storage.")) from None


@retry_on_conflict
@transaction.atomic
def _retry(*, mail_pk: int, raw: bytes) -> InboundMail:
    mail = InboundMail.objects.select_for_update().get(pk=mail_pk)
    if mail.status != InboundStatus.FAILED:
        raise _AlreadyTaken(mail)  # another admin retried it meanwhile
    mail.attempts += 1
    mail.error = ""
    _process(mail, raw)
    return mail


# ---------------------------------------------------------------- the work on one mail


def _process(mail: InboundMail, raw: bytes) -> None:
    """Inside the claiming transaction: read the mail, then ignore it, answer a ticket or open one."""
    parsed = parsing.parse_mail(raw, own_addresses=own_addresses())
    mail.from_address = parsed.from_address[:254]
    mail.subject = parsed.subject[:SUBJECT_MAX]
    mail.sent_at = parsed.sent_at
    mail.processed_at = timezone.now()
    if parsed.auto_reason:
        mail.status = InboundStatus.IGNORED
        mail.note = parsed.auto_reason
        mail.save()
        return
    ticket = _ticket_answered(parsed)
    if ticket is not None:
        notes = _receive_reply(ticket=ticket, parsed=parsed)
        mail.is_reply = True
    else:
        ticket, notes = _open_ticket(parsed=parsed, received_at=mail.received_at)
        named = list(Ticket.objects.filter(number__in=parsed.ticket_numbers).values_list("number", flat=True))
        if named and _conversation() is None:
            notes.append(
                _(
                    "The subject names %(numbers)s, but replies join tickets only with the conversation "
                    "app, so the mail opened a ticket of its own."
                )
                % {"numbers": ", ".join(named)}
            )
        elif named:
            # A number in the subject from a sender not known on that ticket: a ticket of its own.
            notes.append(
                _(
                    "The subject names %(numbers)s, but the sender is not known on that ticket, so the mail "
                    "opened a ticket of its own."
                )
                % {"numbers": ", ".join(named)}
            )
    mail.ticket = ticket
    mail.note = "\n".join(notes)
    mail.status = InboundStatus.PROCESSED
    mail.save()


def _conversation():
    """conversation.services (the ticket's timeline, which replies join), or None without that app."""
    if "conversation" not in settings.INSTALLED_APPS:
        return None
    return importlib.import_module("conversation.services")


def _attachments():
    if "attachments" not in settings.INSTALLED_APPS:
        return None
    return importlib.import_module("attachments.services")


def _ticket_answered(parsed: parsing.ParsedMail) -> Ticket | None:
    """The ticket this mail answers: by the conversation's rules (a Message-ID we sent or received in
    In-Reply-To/References, else ``[TS-…]`` in the subject from a sender known on that ticket), else an
    earlier mail of the customer's that opened a ticket and that this one refers to (a follow-up to
    their own first mail)."""
    conversation = _conversation()
    if conversation is not None:
        ticket = conversation.ticket_for_mail(
            subject=parsed.subject,
            in_reply_to=parsed.in_reply_to_header,
            references=parsed.references_header,
            sender=parsed.from_address,
        )
        if ticket is not None:
            return ticket
    # Without the conversation there is no record of who may write on a ticket (and nowhere to keep a
    # reply), so a ticket number in the subject joins nothing: the mail opens a ticket that names it.
    earlier = [*parsed.in_reply_to, *reversed(parsed.references)]
    if earlier:
        taken = (
            InboundMail.objects.filter(message_id__in=earlier[:50], ticket__isnull=False)
            .select_related("ticket")
            .order_by("-received_at")
            .first()
        )
        if taken is not None:
            return taken.ticket
    return None


def _uploads(parsed: parsing.ParsedMail) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(item.name, item.content, content_type=item.content_type)
        for item in parsed.attachments
    ]


def _receive_reply(*, ticket: Ticket, parsed: parsing.ParsedMail) -> list[str]:
    """Into the ticket's conversation, which reopens a resolved or closed ticket and tells the owner.
    The files go one by one afterwards, so a refused one never loses the message."""
    conversation = _conversation()
    if conversation is None:
        raise InboundSetupError(
            _("This mail answers ticket %(number)s, but the conversation app is not installed.")
            % {"number": ticket.number}
        )
    message = conversation.customer_message_receive(
        ticket=ticket,
        body=parsed.body or parsed.subject,
        channel="email",
        from_address=parsed.from_address,
        sender_name=parsed.from_name,
        message_id=parsed.message_id_header,
        in_reply_to=parsed.in_reply_to_header,
        references=parsed.references_header,
        files=[],
    )
    refusals = _attach(ticket=ticket, uploads=_uploads(parsed), target=message)
    _note_refusals(ticket=ticket, refusals=refusals)
    return refusals


def _attach(*, ticket: Ticket, uploads, target: Any = None) -> list[str]:
    """Each file on its own, so one refused (type, size, ticket full) never blocks the others or the mail.
    Returns the refusals (in the active language)."""
    attachments = _attachments()
    refusals: list[str] = []
    if attachments is None or not uploads:
        return refusals
    for upload in uploads:
        try:
            attachments.attachments_add(
                ticket=ticket, files=[upload], by=None, target=target, from_customer=True
            )
        except ValidationError as refused:
            refusals.extend(refused.messages)
    return refusals


def _note_refusals(*, ticket: Ticket, refusals: list[str]) -> None:
    """An internal note on the ticket naming the files that were not kept (the raw mail still has them)."""
    if not refusals:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = "\n".join(
            [_("Files of the customer's e-mail that were not attached (the stored mail still holds them):")]
            + [f"- {refusal}" for refusal in refusals]
        )
    conversation = _conversation()
    try:
        if conversation is None:
            raise PermissionDenied
        conversation.note_add(ticket=ticket, body=body, by=ticket.owner, channel="email")
    except PermissionDenied:
        logger.warning("Ticket %s: refused attachments not noted (%s)", ticket.number, "; ".join(refusals))


def _description(parsed: parsing.ParsedMail, *, with_subject: bool = True) -> str:
    """The customer's words as sent: the subject line, then the text (an HTML-only mail's visible text)."""
    body = parsed.body.strip("\n")
    parts = (
        [parsed.subject] if with_subject and parsed.subject and not body.startswith(parsed.subject) else []
    )
    if body:
        parts.append(body)
    text = "\n\n".join(parts)
    if len(text) > DESCRIPTION_MAX_CHARS:
        text = (
            text[:DESCRIPTION_MAX_CHARS]
            + "\n\n"
            + _("(Cut here: the whole mail is kept with the inbound mail.)")
        )
    return text


def _occurred_at(sent_at: datetime | None, received_at: datetime) -> datetime:
    """The mail's Date when believable (not in the future, not over a month before it arrived)."""
    if sent_at is None or sent_at > received_at or sent_at < received_at - OLDEST_BELIEVABLE_DATE:
        return received_at
    return sent_at


def default_owner() -> User:
    """Who owns a ticket opened by mail: INBOUND_DEFAULT_OWNER, else the first manager (until routing)."""
    username = settings.INBOUND_DEFAULT_OWNER
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise InboundSetupError(
                _("INBOUND_DEFAULT_OWNER names “%(username)s”, who is not an active user.")
                % {"username": username}
            )
        return user
    user = User.objects.filter(is_active=True, groups__name=roles.MANAGER).order_by("pk").first()
    if user is None:
        raise InboundSetupError(
            _("No owner for tickets opened by mail: set INBOUND_DEFAULT_OWNER or add a manager.")
        )
    return user


def unmatched_customer() -> Customer:
    """The one customer holding senders no contact is known for (created in the team's language)."""
    customer = Customer.objects.filter(unmatched=True).order_by("pk").first()
    if customer is not None:
        return customer
    with translation.override(settings.LANGUAGE_CODE):
        name = _("Unmatched senders")
    try:
        with transaction.atomic():
            return Customer.objects.create(name=name, unmatched=True)
    except IntegrityError:
        # Another poller made it meanwhile, or a customer of that name exists: use the flagged one or it.
        return Customer.objects.filter(unmatched=True).order_by("pk").first() or Customer.objects.get(
            name=name
        )


def contact_for_sender(*, address: str, name: str) -> Contact:
    """The contact whose e-mail is the sender's (case-insensitive), else a new one under the unmatched
    customer, named as the mail names the sender."""
    contact = Contact.objects.filter(email__iexact=address).select_related("customer").order_by("pk").first()
    if contact is not None:
        return contact
    customer = unmatched_customer()
    for candidate in (name or address, f"{name} <{address}>" if name else "", address):
        candidate = candidate.strip()[:CONTACT_NAME_MAX]
        if not candidate:
            continue
        try:
            with transaction.atomic():
                return Contact.objects.create(
                    customer=customer, name=candidate, email=address, details=address
                )
        except IntegrityError:
            continue  # another sender of that name is already there
    return Contact.objects.create(
        customer=customer, name=parsing.raw_digest(address.encode())[:32], email=address
    )


def _routed(*, customer: Customer, description: str, problem_type: str):
    """The team and member routing picks for a new mail (teams app), or None when it is not installed."""
    try:
        route = chapters.provided("routing_route")
    except LookupError:
        return None
    return route(
        problem_type=problem_type,
        customer=customer,
        source=Source.EMAIL,
        description=description,
        error_message="",
        commit=True,
    )


def _open_ticket(*, parsed: parsing.ParsedMail, received_at: datetime) -> tuple[Ticket, list[str]]:
    contact = contact_for_sender(address=parsed.from_address, name=parsed.from_name)
    customer = contact.customer
    description = _description(parsed) or _("(The mail had no text.)")
    problem_type = settings.INBOUND_DEFAULT_PROBLEM_TYPE or ProblemType.FUNCTIONAL
    # Routing first (the subject counts as text too); its team without a free member, or no rule, falls
    # back to the configured owner.
    routed = _routed(
        customer=customer, description=f"{parsed.subject}\n{description}", problem_type=problem_type
    )
    owner = getattr(routed, "owner", None) or default_owner()
    # P2 until someone triages it; a VIP customer's mail one level up, as the intake's rule raises it.
    priority = Priority.P1 if customer.raises_priority else Priority.P2
    ticket = core.ticket_create(
        recorded_by=owner,
        customer=customer,
        contact=contact,
        contact_details=parsed.from_address,
        source=Source.EMAIL,
        occurred_at=_occurred_at(parsed.sent_at, received_at),
        description=description,
        problem_type=problem_type,
        priority=priority,
        owner=owner,
    )
    if routed is not None:
        chapters.provided("routing_attach")(ticket=ticket, team=routed.team)
    # ticket_create tells the new owner unless they are the one acting, which the recorder (the owner
    # here: a mail has no user) is; so the owner is told here, by nobody in particular.
    events.notify(
        kind=EventKind.ASSIGNED, recipients=[owner], ticket=ticket, params={"excerpt": parsed.subject[:200]}
    )
    refusals = _attach(ticket=ticket, uploads=_uploads(parsed))
    _note_refusals(ticket=ticket, refusals=refusals)
    return ticket, refusals


def poll_once() -> mailbox.PollOutcome:
    """One poll of the inbound mailbox (the periodic task and ``fetch_mail``). ImproperlyConfigured if off."""
    config = mailbox.configured()
    if config is None:
        raise ImproperlyConfigured("INBOUND_EMAIL_URL is not set: inbound mail is off.")
    return mailbox.poll(config=config)
