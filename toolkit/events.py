"""Telling people what happened: one call, ``notify``, for every event that is not an SLA reminder.

Assigned to you, reassigned away from you, the customer replied, your ticket (or one you follow) moved
to another stage, you were mentioned, a design awaits your approval or was decided, an article awaits
your review: each goes to the bell, by e-mail and, when asked, to the team's chat webhooks, through the
same exactly-once rows and sending as the SLA reminders (toolkit.notifications). A bulk action's news
is told once per person (one_notice_per_person).

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
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from . import chapters, notifications
from .choices import EventKind
from .models import ChatWebhook, Event, Ticket, User
from .privacy import mask_free_text

__all__ = ["EventKind", "audience", "notify", "one_notice_per_person", "users_with_permission"]

BROKER_RETRY_AFTER_SECONDS = 60
# Kinds a ticket's followers (collaborators, the teams app's "ticket_followers") hear about too.
FOLLOWER_KINDS = {EventKind.CUSTOMER_REPLIED, EventKind.REASSIGNED_AWAY, EventKind.STAGE_CHANGED}
# monotonic time until which this process does not try the broker again (it was found down).
_broker_down_until = 0.0
# Kinds one action may cause on many tickets at once (a bulk action): held by one_notice_per_person.
BATCHED_KINDS = frozenset(notifications.BATCH_KINDS)  # the kinds that have a text for several tickets
BATCH_NUMBERS_SHOWN = 5


@dataclass(frozen=True)
class _Held:
    kind: EventKind
    actor: User | None
    ticket: Ticket
    params: dict | None
    user_ids: frozenset[int]


_held: ContextVar[list[_Held] | None] = ContextVar("toolkit_events_held", default=None)


@contextmanager
def one_notice_per_person() -> Iterator[None]:
    """One action on many tickets (a bulk action): inside the block, notify() holds the events of
    BATCHED_KINDS on tickets; at its end each person gets one notice per kind — the ticket's own event
    when it concerns one of their tickets, else one saying how many, with the first few numbers. Call it
    inside the action's transaction: an exception leaves the block without telling anyone."""
    held: list[_Held] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    _release(held)


def _release(held: list[_Held]) -> None:
    per_person: dict[tuple[EventKind, int | None, int], list[_Held]] = defaultdict(list)
    for item in held:
        for user_id in item.user_ids:
            per_person[item.kind, getattr(item.actor, "pk", None), user_id].append(item)
    # The events of a single ticket, each once, to everyone for whom it is the only one of its kind.
    alone: dict[int, set[int]] = defaultdict(set)
    for (_kind, _actor, user_id), items in per_person.items():
        if len(items) == 1:
            alone[id(items[0])].add(user_id)
    for item in held:
        if id(item) in alone:
            _record(
                kind=item.kind,
                user_ids=alone[id(item)],
                actor=item.actor,
                ticket=item.ticket,
                params=item.params,
            )
    for (kind, _actor, user_id), items in per_person.items():
        if len(items) > 1:
            _record_batch(kind=kind, user_id=user_id, items=items)


def _record_batch(*, kind: EventKind, user_id: int, items: list[_Held]) -> None:
    """One event for several tickets: how many, which (the first few), and what they share (the new
    owner, the stage, the reason: one action gave them all the same)."""
    first = items[0]
    stored = _plain_params({k: v for k, v in (first.params or {}).items() if k != "from_stage"})
    if first.actor is not None:
        stored["actor"] = first.actor.display_name
    numbers = sorted(item.ticket.number for item in items)
    stored |= {"count": len(numbers), "numbers": numbers[:BATCH_NUMBERS_SHOWN]}
    link = reverse("diagnosis:list") + _batch_filter(kind, user_id, items)
    _record(
        kind=kind, user_ids={user_id}, actor=first.actor, ticket=None, params=None, stored=stored, link=link
    )


def _batch_filter(kind: EventKind, user_id: int, items: list[_Held]) -> str:
    """The table's query string that shows a batch's tickets among as few others as it can: yours for
    "assigned to you", the new owner's for "reassigned away", and for "moved" the stage they are in now
    (yours in it, when they are all yours)."""
    owners = {item.ticket.owner_id for item in items}
    if kind == EventKind.ASSIGNED:
        return f"?owner={user_id}"
    if kind == EventKind.REASSIGNED_AWAY and len(owners) == 1:
        return f"?owner={owners.pop()}"
    if kind == EventKind.STAGE_CHANGED:
        query = f"?stage={(items[0].params or {}).get('to_stage', '')}"
        return query + (f"&owner={user_id}" if owners == {user_id} else "")
    return ""


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


def notify(
    *,
    kind: str,
    recipients: Iterable[Any],
    actor: User | None = None,
    ticket: Ticket | None = None,
    link: str = "",
    params: dict | None = None,
    chat: bool = False,
    already_told: Iterable[int] = (),
) -> Event | None:
    """Record one event and tell these people (and the team chat when chat=True) about it.

    ``recipients``: users (or a queryset of them); the actor and inactive users are left out, and
    each gets one notification. ``link``: a path on this site (default: the ticket's page).
    ``params``: what the kind's text needs beyond the ticket and the actor (see
    notifications.event_text), e.g. ``new_owner`` and ``reason`` (reassigned_away), ``decision``
    ("approved"/"rejected") and ``comment`` (design_decided), ``title`` (article_awaiting_review),
    ``excerpt`` (customer_replied, mentioned). ``already_told``: ids of users the caller's own event
    already tells of this one (a customer reply that reopens the ticket says so itself), left out so
    nobody hears of one action twice. Returns the Event, or None when nobody is told.
    Raises ValueError for an unknown kind.
    """
    kind = EventKind(kind)
    wanted = audience(kind=kind, recipients=recipients, actor=actor, ticket=ticket) - set(already_told)
    held = _held.get()
    if held is not None and ticket is not None and kind in BATCHED_KINDS and not chat and not link:
        if wanted:
            held.append(_Held(kind, actor, ticket, params, frozenset(wanted)))
        return None
    return _record(
        kind=kind, user_ids=wanted, actor=actor, ticket=ticket, params=params, link=link, chat=chat
    )


def audience(
    *, kind: str, recipients: Iterable[Any], actor: User | None = None, ticket: Ticket | None = None
) -> set[int]:
    """The ids of the users notify() tells of this event: the recipients, the ticket's followers for
    FOLLOWER_KINDS, never the actor."""
    wanted = {user.pk for user in recipients if user is not None and user.pk is not None}
    if ticket is not None and kind in FOLLOWER_KINDS:
        wanted |= _follower_ids(ticket)
    if actor is not None:
        wanted.discard(actor.pk)
    return wanted


@transaction.atomic
def _record(
    *,
    kind: EventKind,
    user_ids: set[int],
    actor: User | None,
    ticket: Ticket | None,
    params: dict | None,
    link: str = "",
    chat: bool = False,
    stored: dict | None = None,
) -> Event | None:
    """notify's writing: the Event, its notifications and deliveries, the sending queued after commit.
    ``stored``: parameters already made plain (a batch's)."""
    users = list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk")) if user_ids else []
    webhook_ids = (
        list(ChatWebhook.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
        if chat
        else []
    )
    if not users and not webhook_ids:
        return None
    if stored is None:
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
