"""A ticket's conversation: replies to the customer, internal notes, the customer's own messages; and
canned replies (快捷回复) that fill the reply box."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from toolkit.models import Ticket

from .choices import EmailStatus, MessageChannel, MessageKind

MESSAGE_ID_MAX = 500


class Message(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=MessageChannel.choices, default=MessageChannel.WEB
    )
    # Null for the customer's messages (customers have no account).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Contact data when the customer wrote: shown masked to those who may not see contact details.
    sender_name = models.CharField(_("sender"), max_length=200, blank=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    # Verbatim, as written; rendered escaped with line breaks, never as HTML.
    body = models.TextField(_("text"))
    # RFC 5322 Message-ID (with its angle brackets) of the mail we sent or received; empty for notes
    # and for replies that were not e-mailed. Unique when set (see Meta): the same mail is kept once.
    message_id = models.CharField(_("Message-ID"), max_length=MESSAGE_ID_MAX, blank=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=MESSAGE_ID_MAX, blank=True)
    references = models.TextField(_("References"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # Replies only: the e-mail to the contact. Subject and language are fixed when the reply is
    # written, so every retry sends the same mail.
    to_address = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    email_status = models.CharField(_("e-mail"), max_length=10, choices=EmailStatus.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            # Exactly once per mail: an inbound message fetched twice, or two workers racing, insert one row.
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="conversation_message_id_unique"
            ),
        ]
        indexes = [
            # The ticket's timeline and public thread: WHERE ticket_id = … ORDER BY created_at, id.
            models.Index(fields=["ticket", "created_at", "id"], name="conv_message_ticket_idx"),
            # Retry pick-up: WHERE email_status IN (pending, sending) AND next_attempt_at <= now.
            models.Index(fields=["email_status", "next_attempt_at"], name="conv_message_due_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.kind in MessageKind.public()

    @property
    def is_note(self) -> bool:
        return self.kind == MessageKind.NOTE


class CannedReplyQuerySet(models.QuerySet):
    def usable_by(self, user):
        """Shared ones, the user's own, and those of the teams the user belongs to."""
        from teams.models import Membership

        teams = Membership.objects.filter(user_id=user.pk).values("team_id")
        return self.filter(Q(owner__isnull=True, team__isnull=True) | Q(owner_id=user.pk) | Q(team__in=teams))


class CannedReply(models.Model):
    """A prepared text for the reply box. Placeholders: {customer} {contact} {ticket} {engineer}.

    Personal (owner set), a team's (team set: usable by its members, kept by its lead and managers), or
    shared by the whole service desk (neither set, kept by managers).
    """

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text=_("Empty: shared with everyone."),
    )
    team = models.ForeignKey(
        "teams.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text=_("Set: usable by the team's members, kept by its lead and managers."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CannedReplyQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        indexes = [
            # The picker and the management page: WHERE owner_id IS NULL OR owner_id = me ORDER BY title.
            models.Index(fields=["owner", "title"], name="conv_canned_owner_idx"),
            models.Index(fields=["team", "title"], name="conv_canned_team_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None and self.team_id is None
