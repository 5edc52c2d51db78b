"""Telling people what happened: one call, ``notify``, for every event that is not an SLA reminder.

Assigned to you, reassigned away from you, the customer replied, your ticket (or one you follow) moved
to another stage, you were mentioned, a design awaits your approval or was decided, an article awaits
your review: each goes to the bell, by e-mail and,
when asked, to the team's chat webhooks, through the same exactly-once rows and sending as the SLA
reminders (toolkit.notifications).

``notify`` records the Event with its notification and delivery rows in the caller's transaction, so
the action and the news of it are saved together or not at all (a crash between the two cannot lose
the news, a rolled-back action tells nobody), and queues the sending after commit. A broker that is
down leaves the deliveries pending for the periodic scan (toolkit.tasks), which sends them later; the
process then leaves the broker alone for BROKER_RETRY_AFTER_SECONDS, so a request that reassigns a
ticket while Redis is away pays the failed connection at most once a minute, not every time.

An event keeps its kind and plain parameters, never a translated sentence: each reader's bell shows
it in their language when they look, and each e-mail is written in the recipient's language when sent.
Free text in the parameters (a reason, a comment, an excerpt) has phone numbers and e-mail addresses
masked (toolkit.privacy): notifications go to people who may not see contact details, and to chat.
"""

import time
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q, QuerySet

from . import chapters, notifications
from .choices import EventKind
from .models import ChatWebhook, Event, Ticket, User
from .privacy import mask_free_text

__all__ = ["EventKind", "notify", "users_with_permission"]

BROKER_RETRY_AFTER_SECONDS = 60
# Kinds a ticket's followers (collaborators, the teams app's "ticket_followers") hear about too.
FOLLOWER_KINDS = {EventKind.CUSTOMER_REPLIED, EventKind.REASSIGNED_AWAY, EventKind.STAGE_CHANGED}
# monotonic time until which this process does not try the broker again (it was found down).
_broker_down_until = 0.0


def users_with_permission(permission: str) -> QuerySet[User]:
    """Active users who hold ``app_label.codename`` through a role, directly, or as superusers: who may
    act on something (approve a design, publish an article), so who is told it waits for them."""
    app_label, codename = permission.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=granted) | Q(user_permissions__in=granted))
        .distinct()
    )


def _plain_params(params: dict | None) -> dict[str, Any]:
    """JSON-safe copies, free text masked. Values must be data (names, titles, codes), not translations."""
    plain: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is None or isinstance(value, bool | int | float):
            plain[key] = value
        else:
            plain[key] = mask_free_text(str(value))
    return plain


@transaction.atomic
def notify(
    *,
    kind: str,
    recipients: Iterable[Any],
    actor: User | None = None,
    ticket: Ticket | None = None,
    link: str = "",
    params: dict | None = None,
    chat: bool = False,
) -> Event | None:
    """Record one event and tell these people (and the team chat when chat=True) about it.

    ``recipients``: users (or a queryset of them); the actor and inactive users are left out, and
    each gets one notification. ``link``: a path on this site (default: the ticket's page).
    ``params``: what the kind's text needs beyond the ticket and the actor (see
    notifications.event_text), e.g. ``new_owner`` and ``reason`` (reassigned_away), ``decision``
    ("approved"/"rejected") and ``comment`` (design_decided), ``title`` (article_awaiting_review),
    ``excerpt`` (customer_replied, mentioned). Returns the Event, or None when nobody is told.
    Raises ValueError for an unknown kind.
    """
    kind = EventKind(kind)
    wanted = {user.pk for user in recipients if user is not None and user.pk is not None}
    if ticket is not None and kind in FOLLOWER_KINDS:
        wanted |= _follower_ids(ticket)
    if actor is not None:
        wanted.discard(actor.pk)
    users = list(User.objects.filter(pk__in=wanted, is_active=True).order_by("pk")) if wanted else []
    webhook_ids = (
        list(ChatWebhook.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
        if chat
        else []
    )
    if not users and not webhook_ids:
        return None
    stored = _plain_params(params)
    if actor is not None:
        stored.setdefault("actor", actor.display_name)
    if ticket is not None:
        stored.setdefault("number", ticket.number)
        stored.setdefault("customer", ticket.customer.name)
        link = link or ticket.get_absolute_url()
    event = Event.objects.create(kind=kind, ticket=ticket, actor=actor, link=link, params=stored)
    delivery_ids = notifications.event_fan_out(event=event, users=users, webhook_ids=webhook_ids)
    if delivery_ids:
        transaction.on_commit(lambda: _send_soon(delivery_ids))
    return event


def _follower_ids(ticket: Ticket) -> set[int]:
    """Who follows the ticket, but not its (new) owner, who hears of it their own way."""
    try:
        followers = chapters.provided("ticket_followers")
    except LookupError:  # the teams app is not installed
        return set()
    return {user.pk for user in followers(ticket) if user.pk != ticket.owner_id}


def _send_soon(delivery_ids: list[int]) -> None:
    """Queue the deliveries now; with the broker found down lately, leave them to the periodic scan."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    from . import tasks  # here, not at the top: it loads Celery, which only a sending process needs

    if tasks.enqueue_deliveries(delivery_ids) < len(delivery_ids):
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
