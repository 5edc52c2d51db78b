"""Teams, their members and the routing rules that send a new ticket to a team and one of its members."""

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from toolkit.choices import ProblemType, Source

from .choices import Strategy

KEYWORD_SPLIT = re.compile(r"[\s,，、;；]+")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    strategy = models.CharField(
        _("assignment"), max_length=20, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    active = models.BooleanField(_("active"), default=True)
    # Round robin: the user id given the team's last ticket; the next goes to the next id after it.
    # Moved only under a lock on this row (services.route with commit=True).
    last_assigned_id = models.PositiveBigIntegerField(default=0, editable=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("teams:detail", args=[self.pk])


class Membership(models.Model):
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    # Away (leave, training): routing skips them; they stay in the team.
    away = models.BooleanField(_("away"), default=False)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        ordering = ["team", "user_id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="teams_membership_unique")]

    def __str__(self):
        return f"{self.team} · {self.user}"


class RoutingRule(models.Model):
    """A condition on a new ticket; the first active rule (by order) whose conditions all hold names the
    team. An empty condition matches anything; keywords match when any one appears in the description
    or the error message (case-insensitive)."""

    order = models.PositiveIntegerField(_("order"), default=0)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="rules")
    problem_type = models.CharField(_("type"), max_length=20, choices=ProblemType.choices, blank=True)
    customer = models.ForeignKey(
        "toolkit.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_(
            "Separated by commas or spaces; any one found in the description or error message matches."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        indexes = [models.Index(fields=["active", "order"], name="teams_rule_active_order")]

    def __str__(self):
        return f"#{self.order} → {self.team}"

    def keyword_list(self) -> list[str]:
        return [word.casefold() for word in KEYWORD_SPLIT.split(self.keywords or "") if word]


class TicketTeam(models.Model):
    """The team a ticket was routed (or handed) to."""

    ticket = models.OneToOneField(
        "toolkit.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="team_link",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="ticket_links"
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket's team")
        verbose_name_plural = _("tickets' teams")

    def __str__(self):
        return f"{self.ticket_id} → {self.team_id}"


class Follower(models.Model):
    """A collaborator who follows a ticket: they hear when the customer replies or it is reassigned."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="followers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("follower"),
        on_delete=models.CASCADE,
        related_name="followed",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="teams_follower_unique")]

    def __str__(self):
        return f"{self.user} · {self.ticket_id}"
