"""My work: what waits for one person, each section bounded and read in a fixed number of queries.

The core's own sections (my open tickets by SLA time left, mentions of me) are read here; each chapter's
section comes through the registry (``toolkit.chapters.provided``), so this app imports no chapter and a
chapter that is not installed simply adds nothing. A provider is called as ``provider(user=, limit=)``
and answers None (not for this user: no permission) or a dict:

    {"rows": [{"title", "ticket", "url", "due", "overdue", "note"}, ...],  # at most `limit`
     "total": int,                                                        # all of them
     "url": str}                                                          # "see all" ("" for none)
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from toolkit import chapters
from toolkit.choices import EventKind
from toolkit.models import Notification, Ticket
from toolkit.notifications import event_text
from toolkit.privacy import free_text_for

# Rows per section: the rest is behind the section's "see all" link.
SECTION_LIMIT = 10
DESCRIPTION_CHARS = 80

# The chapters' sections, in the page's order after my tickets: (provided name, heading).
CHAPTER_SECTIONS = [
    ("mywork_tasks_due", _("Implementation tasks due")),
    ("mywork_followups", _("Follow-up visits")),
    ("mywork_approvals", _("Designs waiting for my approval")),
    ("mywork_reviews", _("Articles waiting for my review")),
]
SAVED_VIEWS = "mywork_saved_views"


@dataclass
class Section:
    key: str
    title: Any  # a lazy translation, rendered in the page's language
    rows: list[dict] = field(default_factory=list)
    total: int = 0
    url: str = ""

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


@dataclass
class MyWork:
    tickets: Section
    mentions: Section
    unread_mentions: int
    sections: list[Section]
    saved_views: Section | None


def my_open_tickets(user) -> Section:
    """Open tickets owned by `user`, the least SLA time left first (breached ones first of all), then
    those without a running SLA; two queries (the owner index narrows, the few rows are sorted)."""
    tickets = Ticket.objects.open().filter(owner=user)
    order = (F("sla_due_at").asc(nulls_last=True), "id")
    rows = [
        {
            "title": ticket.customer.name,
            "ticket": ticket.number,
            "url": ticket.get_absolute_url(),
            "due": ticket.sla_due_at,
            "overdue": False,
            "note": Truncator(free_text_for(user, ticket, ticket.description)).chars(DESCRIPTION_CHARS),
            "priority": ticket.priority,
            "stage": ticket.get_stage_display(),
            "sla_state": ticket.sla_state,
        }
        for ticket in tickets.select_related("customer").order_by(*order)[:SECTION_LIMIT]
    ]
    # The table with the same rows in the same order (owner=me is the signed-in user there too).
    url = f"{reverse('diagnosis:list')}?owner=me&stage=open&sort=sla_due"
    return Section("tickets", _("My open tickets"), rows, tickets.count(), url)


def my_mentions(user) -> tuple[Section, int]:
    """The latest notifications that mention `user` (conversation @mentions), and how many are unread.
    Their text is written from the event in the active language (no query per row)."""
    mentions = Notification.objects.filter(user=user, event__kind=EventKind.MENTIONED)
    rows = []
    for notification in mentions.select_related("event", "ticket")[:SECTION_LIMIT]:
        assert notification.event is not None  # filtered on the event's kind
        told = event_text(notification.event)
        rows.append(
            {
                "title": told.line,
                "ticket": "",  # the line names the ticket already
                "url": reverse("notification_open", args=[notification.pk]),
                "due": notification.created_at,
                "overdue": False,
                "note": " · ".join(told.details),
                "unread": notification.read_at is None,
            }
        )
    counts = mentions.aggregate(total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
    section = Section("mentions", _("Mentions of me"), rows, counts["total"], reverse("notifications"))
    return section, counts["unread"]


def _provided(name: str, title, user) -> Section | None:
    try:
        provider = chapters.provided(name)
    except LookupError:  # the chapter is not installed
        return None
    found = provider(user=user, limit=SECTION_LIMIT)
    if found is None:  # not for this user
        return None
    return Section(name, title, found["rows"], found["total"], found["url"])


def my_work(user) -> MyWork:
    """Everything on the page, each section bounded by SECTION_LIMIT rows."""
    mentions, unread = my_mentions(user)
    sections = [section for name, title in CHAPTER_SECTIONS if (section := _provided(name, title, user))]
    return MyWork(
        tickets=my_open_tickets(user),
        mentions=mentions,
        unread_mentions=unread,
        sections=sections,
        saved_views=_provided(SAVED_VIEWS, _("My saved views"), user),
    )
