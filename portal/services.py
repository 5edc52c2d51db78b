"""Writes of the customer portal: issuing and revoking links, the customer's report, their messages.

Links: ``secrets.token_urlsafe(32)``, only the SHA-256 stored (see models). Issuing a link for a customer
or ticket that has a working one revokes that one (its bearer gets the "cannot be used" page). Issuing
and revoking need ``toolkit.change_ticket`` (engineers and managers); a revocation needs a reason.

The report form carries a fresh token in a hidden field: it becomes the new ticket's status link, so a
second submit of the same form (a double tap, a retry after a lost answer) finds that link and goes to
the same ticket instead of logging another one. The unique token hash makes that hold under concurrency.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from diagnosis.services import suggest_priority
from toolkit import chapters, events, roles
from toolkit.choices import BusinessUrgency, EventKind, ProblemType, Source, Stage
from toolkit.models import Contact, Customer, Ticket
from toolkit.services import ticket_create

from . import channels
from .models import Report, ReportLink, StatusLink

MANAGE_PERMISSION = "toolkit.change_ticket"
TOKEN_BYTES = 32
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32)
LANGUAGE_PARAMETER = "lang"
REPLACED = "replaced"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token_shaped(token: str) -> bool:
    return bool(token) and TOKEN_RE.match(token) is not None


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def report_url(token: str) -> str:
    return _absolute(reverse("portal_public:report", kwargs={"token": token}))


def status_url(token: str) -> str:
    return _absolute(reverse("portal_public:status", kwargs={"token": token}))


@dataclass
class IssuedLink:
    link: ReportLink | StatusLink
    token: str  # never stored: shown once to whoever issued it
    url: str


def can_manage_links(user) -> bool:
    return user.is_authenticated and user.has_perm(MANAGE_PERMISSION)


def ensure_can_manage_links(user) -> None:
    if not can_manage_links(user):
        raise PermissionDenied(_("Only engineers and managers can issue or revoke customer links."))


def _revoke(queryset, *, by, reason: str, now) -> int:
    return queryset.filter(revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by, revoke_reason=reason
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the link is revoked.")}, code="reason")
    return reason[:500]


def replaced_reason() -> str:
    return _("Replaced by a new link.")


@transaction.atomic
def report_link_issue(*, customer: Customer, by, now: datetime | None = None) -> IssuedLink:
    """A new report link for the customer; their working one, if any, stops working."""
    ensure_can_manage_links(by)
    if customer.unmatched:
        raise ValidationError(
            _("This customer holds senders nobody has matched yet: it cannot have a report link."),
            code="unmatched",
        )
    now = now or timezone.now()
    Customer.objects.select_for_update().filter(pk=customer.pk).first()  # one issue at a time per customer
    _revoke(ReportLink.objects.filter(customer=customer), by=by, reason=replaced_reason(), now=now)
    token = new_token()
    link = ReportLink.objects.create(
        customer=customer, token_hash=hash_token(token), created_by=by, created_at=now
    )
    return IssuedLink(link=link, token=token, url=report_url(token))


@transaction.atomic
def report_link_revoke(*, link: ReportLink, by, reason: str, now: datetime | None = None) -> ReportLink:
    """Stop a report link (lost, sent to the wrong person…): who, when and why are kept on it."""
    ensure_can_manage_links(by)
    reason = _reason(reason)
    if not _revoke(ReportLink.objects.filter(pk=link.pk), by=by, reason=reason, now=now or timezone.now()):
        raise ValidationError(_("This link has been revoked already."), code="revoked")
    link.refresh_from_db()
    return link


@transaction.atomic
def status_link_issue(*, ticket: Ticket, by, now: datetime | None = None) -> IssuedLink:
    """A new status link for the ticket (a phone ticket, a lost link); its working one stops working."""
    ensure_can_manage_links(by)
    if ticket.stage == Stage.CANCELLED:
        raise ValidationError(_("The ticket is cancelled: no status link can be issued."), code="cancelled")
    now = now or timezone.now()
    Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
    _revoke(StatusLink.objects.filter(ticket=ticket), by=by, reason=replaced_reason(), now=now)
    token = new_token()
    link = StatusLink.objects.create(
        ticket=ticket, token_hash=hash_token(token), created_by=by, created_at=now
    )
    return IssuedLink(link=link, token=token, url=status_url(token))


@transaction.atomic
def status_link_revoke(*, link: StatusLink, by, reason: str, now: datetime | None = None) -> StatusLink:
    ensure_can_manage_links(by)
    reason = _reason(reason)
    if not _revoke(StatusLink.objects.filter(pk=link.pk), by=by, reason=reason, now=now or timezone.now()):
        raise ValidationError(_("This link has been revoked already."), code="revoked")
    link.refresh_from_db()
    return link


def report_link_find(token: str) -> ReportLink | None:
    """The working report link of a token; None for a malformed, unknown or revoked one alike."""
    if not is_token_shaped(token):
        return None
    return (
        ReportLink.objects.select_related("customer", "created_by")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )


def status_link_find(token: str) -> StatusLink | None:
    """The working status link of a token (with its ticket); None for a malformed, unknown or revoked one."""
    if not is_token_shaped(token):
        return None
    return (
        StatusLink.objects.select_related("ticket", "ticket__contact")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )


def check_customer_browser(user) -> None:
    """Refuse a browser signed in to the service desk, as the survey does: what is said on these pages
    is the customer's word, and an engineer's session must not become the customer's."""
    if user is not None and user.is_authenticated:
        raise PermissionDenied(
            _(
                "This page is for the customer. It cannot be used from a browser that is signed in to the "
                "service desk."
            )
        )


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def contact_for_report(*, customer: Customer, name: str, reach: str, language: str = "") -> Contact:
    """The customer's contact with this e-mail address or phone, else the one of this name, else a new one."""
    name, reach = name.strip(), reach.strip()
    email = reach if _is_email(reach) else ""
    if email:
        found = Contact.objects.filter(customer=customer, email__iexact=email).order_by("pk").first()
    else:
        found = Contact.objects.filter(customer=customer, details=reach).order_by("pk").first()
    if found is not None:
        return found
    contact, created = Contact.objects.get_or_create(
        customer=customer,
        name=name,
        defaults={"email": email, "details": "" if email else reach, "language": language},
    )
    if not created:
        changed: list[str] = []
        if email and not contact.email:
            contact.email, changed = email, [*changed, "email"]
        if not email and not contact.details:
            contact.details, changed = reach, [*changed, "details"]
        if changed:
            contact.save(update_fields=changed)
    return contact


def report_route(*, customer: Customer, answers: dict[str, Any]):
    """The team and member routing picks for a report (teams app), or None when it is not installed."""
    try:
        route = chapters.provided("routing_route")
    except LookupError:
        return None
    return route(
        problem_type=ProblemType.FUNCTIONAL,
        customer=customer,
        source=Source.TICKET_SYSTEM,
        description=answers["description"],
        error_message=answers.get("error_message", ""),
        commit=True,
    )


def report_owner(link: ReportLink):
    """Who owns a reported ticket when routing names nobody: the engineer who issued the link, while they
    are active; else the longest-standing active manager; else still the link's issuer."""
    issuer = link.created_by
    if issuer.is_active and issuer.has_perm(MANAGE_PERMISSION):
        return issuer
    manager = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[roles.MANAGER])
        .order_by("date_joined", "pk")
        .first()
    )
    return manager or issuer


@dataclass
class Submitted:
    ticket: Ticket
    status_token: str
    duplicate: bool


def _existing(status_token: str) -> Submitted | None:
    link = StatusLink.objects.select_related("ticket").filter(token_hash=hash_token(status_token)).first()
    return None if link is None else Submitted(ticket=link.ticket, status_token=status_token, duplicate=True)


def report_submit(
    *,
    token: str,
    status_token: str,
    answers: dict[str, Any],
    files: Sequence[Any] = (),
    language: str = "",
    user=None,
    now: datetime | None = None,
) -> Submitted | None:
    """Log the customer's report as a 新建 ticket (source 工单系统, their words verbatim), with its status
    link.

    None when the report link does not work (any more). ``status_token`` comes from the form: a second
    submit of the same form returns the first one's ticket (``duplicate``). ``answers`` are the form's
    cleaned data. ValidationError (wrong file, …) saves nothing.
    """
    check_customer_browser(user)
    if not is_token_shaped(status_token):
        raise ValidationError(_("The form has expired. Please send it again."), code="form_key")
    already = _existing(status_token)
    if already is not None:
        return already
    now = now or timezone.now()
    try:
        with transaction.atomic():
            link = report_link_find(token)
            if link is None:
                return None
            customer = link.customer
            contact = contact_for_report(
                customer=customer, name=answers["contact_name"], reach=answers["contact"], language=language
            )
            suggestion = suggest_priority(
                impact_scope=answers["impact_scope"],
                business_urgency=BusinessUrgency.MEDIUM,
                vip=customer.raises_priority,
                peak_time=False,
            )
            routed = report_route(customer=customer, answers=answers)
            owner = getattr(routed, "owner", None) or report_owner(link)
            ticket = ticket_create(
                recorded_by=owner,
                recorded_at=now,
                customer=customer,
                contact=contact,
                contact_details=answers["contact"].strip(),
                source=Source.TICKET_SYSTEM,
                occurred_at=answers.get("occurred_at") or now,
                description=answers["description"],
                error_message=answers.get("error_message", ""),
                # The customer cannot be asked to classify; diagnosis sets the type.
                problem_type=ProblemType.FUNCTIONAL,
                impact_scope=answers["impact_scope"],
                users_affected=answers.get("users_affected"),
                frequency=answers["frequency"],
                business_urgency=BusinessUrgency.MEDIUM,
                peak_time=False,
                priority=suggestion.priority,
                suggested_priority=suggestion.priority,
                owner=owner,
            )
            if routed is not None:
                chapters.provided("routing_attach")(ticket=ticket, team=routed.team)
            Report.objects.create(ticket=ticket, report_link=link, submitted_at=now, language=language)
            # ticket_create tells the owner only about others' work (here the owner is the recorder): the
            # customer logged it, so the owner hears of it from nobody in particular.
            events.notify(kind=EventKind.ASSIGNED, recipients=[owner], ticket=ticket)
            StatusLink.objects.create(ticket=ticket, token_hash=hash_token(status_token), created_at=now)
            if files:
                channels.attachments_add(ticket=ticket, files=files)
            ReportLink.objects.filter(pk=link.pk).update(last_used_at=now)
    except IntegrityError:
        # The same form sent twice at once: the other request logged it.
        already = _existing(status_token)
        if already is None:
            raise
        return already
    return Submitted(ticket=ticket, status_token=status_token, duplicate=False)


def status_message_add(
    *, link: StatusLink, body: str, files: Sequence[Any] = (), user=None, now: datetime | None = None
) -> Any:
    """What the customer adds on the status page, into the ticket's conversation as their message."""
    check_customer_browser(user)
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError({"body": _("Write something or add a file.")}, code="empty")
    ticket = link.ticket
    if ticket.stage == Stage.CANCELLED:
        raise ValidationError(_("This ticket is cancelled: nothing more can be added."), code="cancelled")
    with transaction.atomic():
        message = channels.customer_message_receive(
            ticket=ticket,
            body=body,
            from_address=ticket.contact.email or ticket.contact_details,
            sender_name=ticket.contact.name,
            files=files,
        )
        StatusLink.objects.filter(pk=link.pk).update(last_used_at=now or timezone.now())
    return message


def status_link_touch(*, link: StatusLink, now: datetime | None = None) -> None:
    """Note that the customer opened the page (shown on the ticket card), at most once a minute."""
    now = now or timezone.now()
    if link.last_used_at is None or (now - link.last_used_at).total_seconds() >= 60:
        StatusLink.objects.filter(pk=link.pk).update(last_used_at=now)
