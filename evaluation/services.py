"""Writes of chapter 5. Views call these; every rule of the evaluation lives here."""

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from toolkit import languages
from toolkit.choices import Stage
from toolkit.history import save_with_history
from toolkit.models import StageChange, Ticket
from toolkit.services import ticket_change_stage

from .models import (
    FOLLOW_UP_DAYS,
    RECURRENCE_WINDOW_DAYS,
    SCORE_FIELDS,
    SURVEY_VALID_DAYS,
    ActionStatus,
    FollowUp,
    ImprovementAction,
    Recurrence,
    Survey,
    SurveyDelivery,
    SurveyResponse,
    Verification,
)

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- verification and closing


@transaction.atomic
def verification_record(*, ticket: Ticket, by, method: str, verified_at=None, note: str = "") -> Verification:
    """Record (or correct) how the resolution was verified; an open ticket moves to Evaluation."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.stage == Stage.CANCELLED:
        raise ValidationError(_("The ticket is cancelled: there is no resolution to verify."))
    verified_at = verified_at or timezone.now()
    if verified_at > timezone.now():
        raise ValidationError({"verified_at": _("The verification time cannot be in the future.")})
    verification, _created = Verification.objects.update_or_create(
        ticket=ticket,
        defaults={"verified_by": by, "verified_at": verified_at, "method": method, "note": note.strip()},
    )
    if ticket.is_open and ticket.stage != Stage.EVALUATION:
        ticket_change_stage(
            ticket=ticket,
            to_stage=Stage.EVALUATION,
            reason=_("Resolution verified"),
            by=by,
            chapter_step=True,
        )
    return verification


@transaction.atomic
def ticket_close(*, ticket: Ticket, by, reason: str = "") -> StageChange:
    """Close the ticket from the evaluation page; its resolution must have been verified first."""
    if not Verification.objects.filter(ticket=ticket).exists():
        raise ValidationError(_("Verify the resolution before closing the ticket."))
    return ticket_change_stage(
        ticket=ticket, to_stage=Stage.CLOSED, reason=(reason or "").strip() or _("Evaluation complete"), by=by
    )


# ---------------------------------------------------------------- follow-up visits


def follow_up_default_due(ticket: Ticket):
    """Seven days after the verification (or after now when the resolution is not verified yet)."""
    verification = Verification.objects.filter(ticket=ticket).only("verified_at").first()
    start = verification.verified_at if verification else timezone.now()
    return start + timedelta(days=FOLLOW_UP_DAYS)


def follow_up_schedule(*, ticket: Ticket, by, assignee=None, due_at=None) -> FollowUp:
    return FollowUp.objects.create(
        ticket=ticket,
        due_at=due_at or follow_up_default_due(ticket),
        assignee=assignee or ticket.owner,
        created_by=by,
    )


def follow_up_update(*, follow_up: FollowUp, by, due_at, assignee) -> FollowUp:
    if follow_up.done_at is not None:
        raise ValidationError(_("This follow-up visit is already done."))
    if due_at != follow_up.due_at:
        follow_up.reminded_at = None  # a new due time is reminded again
    follow_up.due_at = due_at
    follow_up.assignee = assignee
    save_with_history(follow_up, by=by)
    return follow_up


def follow_up_done(*, follow_up: FollowUp, by, outcome: str, done_at=None) -> FollowUp:
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Write what the customer said.")})
    follow_up.done_at = done_at or timezone.now()
    follow_up.outcome = outcome
    save_with_history(follow_up, by=by)
    return follow_up


# ---------------------------------------------------------------- recurrences


def recurrence_reference_time(ticket: Ticket):
    """From when a new ticket counts as a recurrence: the verification, else the last closing."""
    verification = Verification.objects.filter(ticket=ticket).only("verified_at").first()
    if verification is not None:
        return verification.verified_at
    closing = StageChange.objects.filter(ticket=ticket, to_stage=Stage.CLOSED).order_by("-changed_at").first()
    return closing.changed_at if closing else None


@transaction.atomic
def recurrence_link(*, original: Ticket, new_ticket: Ticket, by, note: str = "") -> Recurrence:
    """Link a new ticket as a recurrence of the original: same customer, recorded within 30 days of the
    original's verification (or closing)."""
    if new_ticket.pk == original.pk:
        raise ValidationError({"new_ticket": _("A ticket cannot be a recurrence of itself.")})
    if new_ticket.customer_id != original.customer_id:
        raise ValidationError({"new_ticket": _("A recurrence must be for the same customer.")})
    start = recurrence_reference_time(original)
    if start is None:
        raise ValidationError(_("Verify or close the ticket before linking a recurrence."))
    end = start + timedelta(days=RECURRENCE_WINDOW_DAYS)
    if not (start <= new_ticket.recorded_at <= end):
        raise ValidationError(
            {
                "new_ticket": _(
                    "%(number)s was not recorded within %(days)d days after the verification or closing."
                )
                % {"number": new_ticket.number, "days": RECURRENCE_WINDOW_DAYS}
            }
        )
    try:
        with transaction.atomic():
            return Recurrence.objects.create(
                original=original, new_ticket=new_ticket, detected_by=by, note=(note or "").strip()
            )
    except IntegrityError:
        raise ValidationError(
            {"new_ticket": _("%(number)s is already linked.") % {"number": new_ticket.number}}
        ) from None


def recurrence_unlink(*, recurrence: Recurrence, by) -> None:
    recurrence.delete()


# ---------------------------------------------------------------- improvement actions


def action_create(*, by, ticket=None, description: str, owner, due_date=None, status=ActionStatus.OPEN):
    action = ImprovementAction(
        ticket=ticket,
        description=description.strip(),
        owner=owner,
        due_date=due_date,
        status=status,
        created_by=by,
    )
    if status == ActionStatus.DONE:
        action.done_at = timezone.now()
    save_with_history(action, by=by)
    return action


def action_update(
    *, action: ImprovementAction, by, description: str, owner, due_date, status
) -> ImprovementAction:
    action.description = description.strip()
    action.owner = owner
    action.due_date = due_date
    if status == ActionStatus.DONE and action.status != ActionStatus.DONE:
        action.done_at = timezone.now()
    elif status != ActionStatus.DONE:
        action.done_at = None
    action.status = status
    save_with_history(action, by=by)
    return action


def action_done(*, action: ImprovementAction, by) -> ImprovementAction:
    if action.status == ActionStatus.DONE:
        return action
    action.status = ActionStatus.DONE
    action.done_at = timezone.now()
    save_with_history(action, by=by)
    return action


# ---------------------------------------------------------------- survey links
#
# The answer must come from the customer, so no one on the team keeps the link: it is e-mailed to the
# contact, or shown once to the person who made it for sending by chat (recorded as such). A ticket
# has at most one pending link; replacing or voiding it needs a reason and is for the ticket's owner or
# a manager (``evaluation.void_survey``), recorded on the link. Once the customer has answered, no new
# link is made for the ticket (an extra answer would count in CSAT). Answers from a browser signed in
# to the service desk are refused.

VOID_PERMISSION = "evaluation.void_survey"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# A link in another language than the team's carries it (?lang=); the survey page opens in it and
# offers a switch. Without it the page speaks the team's language (or the browser's earlier choice).
SURVEY_LANGUAGE_PARAMETER = "lang"


def survey_url(token: str, language: str = "") -> str:
    url = settings.SITE_URL.rstrip("/") + reverse("survey:answer", kwargs={"token": token})
    if languages.supported(language) and language != languages.team_language():
        url += f"?{SURVEY_LANGUAGE_PARAMETER}={language}"
    return url


@dataclass
class NewSurvey:
    survey: Survey
    token: str  # never stored; for the caller to show once when survey.delivery is SHOWN
    language: str = ""  # the customer's: the link opens the survey in it

    @property
    def url(self) -> str:
        return survey_url(self.token, self.language)


def contact_email(ticket: Ticket) -> str:
    """The ticket's contact details when they are an email address, else ""."""
    value = (ticket.contact_details or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def user_can_void_survey(user, ticket: Ticket) -> bool:
    """The ticket's owner or a manager may void or replace its pending link."""
    return user.has_perm(VOID_PERMISSION) or (user.pk is not None and ticket.owner_id == user.pk)


def pending_survey(ticket: Ticket, *, now=None) -> Survey | None:
    """The ticket's link the customer can still answer, if any."""
    now = now or timezone.now()
    return (
        Survey.objects.filter(ticket=ticket, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )


def _void(survey: Survey, *, ticket: Ticket, by, reason: str, now, reason_missing: str) -> None:
    reason = (reason or "").strip()
    if not user_can_void_survey(by, ticket):
        raise ValidationError(
            _("Only the ticket's owner or a manager can void the customer's pending survey link."),
            code="void_forbidden",
        )
    if not reason:
        raise ValidationError({"reason": reason_missing}, code="void_reason")
    Survey.objects.filter(pk=survey.pk).update(voided_at=now, voided_by=by, void_reason=reason[:500])


def _send(survey: Survey, *, url: str, address: str, language: str) -> None:
    days = max(1, round((survey.expires_at - survey.created_at).total_seconds() / 86400))
    with translation.override(language):
        subject = _("How satisfied are you with our service?")
        body = _(
            "Hello,\n\nthank you for working with our service team. Please tell us how we did: the "
            "survey takes one minute.\n\n%(url)s\n\nThe link works once and for %(days)d days.\n"
        ) % {"url": url, "days": days}
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except (OSError, smtplib.SMTPException):
        logger.warning(
            "Survey link for ticket %s: the email could not be sent", survey.ticket_id, exc_info=True
        )
        raise ValidationError(
            _("The email could not be sent; no link was made. Try again later."), code="mail_failed"
        ) from None


@transaction.atomic
def survey_create(
    *,
    ticket: Ticket,
    by,
    delivery: str,
    replace_reason: str = "",
    language: str = "",
    valid_days: int = SURVEY_VALID_DAYS,
    now=None,
) -> NewSurvey:
    """A new private link, e-mailed to the contact (``SurveyDelivery.EMAIL``) or to be shown once to
    ``by`` for sending by chat (``SurveyDelivery.SHOWN``). A pending link is replaced only with a
    ``replace_reason`` by the ticket's owner or a manager; nothing is saved if the email fails.

    ``language`` is the customer's (empty or unknown: the team's): the e-mail is written in it and the
    link opens the survey in it."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)  # one pending link per ticket
    if ticket.stage == Stage.CANCELLED:
        raise ValidationError(_("The ticket is cancelled: no survey can be sent."))
    if delivery not in SurveyDelivery.values:
        raise ValidationError({"delivery": _("Choose how the link reaches the customer.")})
    now = now or timezone.now()
    if Survey.objects.filter(ticket=ticket, used_at__isnull=False).exists():
        raise ValidationError(
            _("The customer has answered the survey for this ticket already."), code="answered"
        )
    address = ""
    if delivery == SurveyDelivery.EMAIL:
        address = contact_email(ticket)
        if not address:
            raise ValidationError(
                _("The ticket's contact details are not an email address."), code="no_email"
            )
    pending = pending_survey(ticket, now=now)
    if pending is not None:
        _void(
            pending,
            ticket=ticket,
            by=by,
            reason=replace_reason,
            now=now,
            reason_missing=_("The customer has a pending link: say why a new one replaces it."),
        )
    token = secrets.token_urlsafe(32)
    survey = Survey.objects.create(
        ticket=ticket,
        token_hash=hash_token(token),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
        delivery=delivery,
        sent_to=address,
    )
    language = languages.supported(language) or languages.team_language()
    if address:
        _send(survey, url=survey_url(token, language), address=address, language=language)
    return NewSurvey(survey=survey, token=token, language=language)


@transaction.atomic
def survey_void(*, survey: Survey, by, reason: str, now=None) -> Survey:
    """Stop a pending link (sent to the wrong address, the customer asked…): owner or manager, with a
    reason, recorded on the link."""
    ticket = Ticket.objects.select_for_update().get(pk=survey.ticket_id)
    now = now or timezone.now()
    survey = Survey.objects.get(pk=survey.pk)
    if not survey.is_usable(now):
        raise ValidationError(_("This link is no longer pending."), code="not_pending")
    _void(
        survey, ticket=ticket, by=by, reason=reason, now=now, reason_missing=_("Say why the link is voided.")
    )
    survey.refresh_from_db()
    return survey


def survey_find_usable(token: str, *, now=None) -> Survey | None:
    """The survey of a token if it may still be answered; None for unknown, used, voided or expired
    alike."""
    if not token or len(token) > 100:
        return None
    now = now or timezone.now()
    return Survey.objects.filter(
        token_hash=hash_token(token), used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now
    ).first()


def survey_check_respondent(user) -> None:
    """Refuse anyone signed in: the team's users (the engineer being rated among them) never answer."""
    if user is not None and user.is_authenticated:
        raise PermissionDenied(
            _(
                "This survey is for the customer. It cannot be answered from a browser that is signed in "
                "to the service desk."
            )
        )


def survey_submit(*, token: str, answers: dict, user=None, now=None) -> SurveyResponse | None:
    """Store the answer if the link is still usable; None otherwise. ``user`` is the request's user:
    a signed-in one is refused (PermissionDenied) and nothing is saved. The link is claimed with a
    conditional UPDATE, so of two simultaneous submits exactly one stores a response."""
    survey_check_respondent(user)
    now = now or timezone.now()
    with transaction.atomic():
        survey = survey_find_usable(token, now=now)
        if survey is None:
            return None
        claimed = Survey.objects.filter(
            pk=survey.pk, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed != 1:
            return None
        return SurveyResponse.objects.create(
            survey=survey,
            ticket_id=survey.ticket_id,
            submitted_at=now,
            comment=(answers.get("comment") or "").strip(),
            **{name: answers[name] for name in SCORE_FIELDS},
        )
