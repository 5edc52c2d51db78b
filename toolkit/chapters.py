"""How the chapters meet: one registry in the core, filled by each chapter's ``AppConfig.ready()``.

A chapter registers what it adds to the places they share — its card on the ticket page, its columns of
the per-ticket results, its dashboard figures, its periodic scans — and the few reads or writes another
chapter needs from it (``provides``, looked up by name). The ticket page, the results query, the
dashboard and the periodic task iterate the registry, so no chapter imports another and an app that is
not installed simply contributes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from django.db.models import ForeignObjectRel, QuerySet

    from toolkit.models import Ticket, User


@dataclass(frozen=True)
class Panel:
    """A chapter's card on the ticket page: its template, rendered with the page's context and ``context``."""

    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class Chapter:
    label: str  # the app label
    order: int  # where its card and its contributions come: the chapter's number
    # (ticket, viewer) → its card; a bounded number of queries, never one per row.
    panel: Callable[[Ticket, User], Panel] | None = None
    # The ticket's one-to-one relations its card reads (select_related paths such as "verification"):
    # the ticket page loads them in its one query for the ticket, and the card reads them from the
    # ticket it is given when they are loaded (``loaded_relation``) instead of asking again. A card
    # given a ticket without them (another page, a test) reads them itself.
    ticket_relations: Sequence[str] = ()
    # Annotates a ticket queryset with this chapter's share of the results (names start with ``ev_``);
    # applied in chapter order, so a later chapter may use an earlier one's annotation.
    results: Callable[[QuerySet[Ticket]], QuerySet[Ticket]] | None = None
    # Dashboard figures by name, each called with start= and end= (dates).
    figures: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # Run by the periodic task with now=; each returns how many things it recorded.
    scans: Sequence[Callable[..., int]] = ()
    # Named reads and writes other chapters call instead of importing this one.
    provides: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


_registry: dict[str, Chapter] = {}


def register(chapter: Chapter) -> None:
    """Called from the chapter's ``AppConfig.ready()``; registering the same label again replaces it."""
    for name in chapter.provides:
        owner = next((c.label for c in _registry.values() if name in c.provides), chapter.label)
        if owner != chapter.label:
            raise ValueError(f"{chapter.label} provides {name!r}, already provided by {owner}")
    _registry[chapter.label] = chapter


def unregister(label: str) -> Chapter | None:
    return _registry.pop(label, None)


def registered() -> list[Chapter]:
    return sorted(_registry.values(), key=lambda chapter: (chapter.order, chapter.label))


def ticket_panels(ticket: Ticket, user: User) -> list[Panel]:
    return [chapter.panel(ticket, user) for chapter in registered() if chapter.panel is not None]


def ticket_relations() -> list[str]:
    """What the ticket page joins to its ticket for the cards: every chapter's ``ticket_relations``."""
    return [path for chapter in registered() for path in chapter.ticket_relations]


NOT_LOADED = object()
_LOADED = "_chapter_relations_loaded"


def relations_loaded(ticket: Ticket) -> Ticket:
    """Say that ``ticket`` was just read with ticket_relations() joined (one request's life), so the
    cards may read them from it. Django also keeps a relation on an instance that created or saved the
    related row, and that copy may be out of date: only a ticket marked here is trusted."""
    ticket.__dict__[_LOADED] = True
    return ticket


def loaded_relation(ticket: Ticket, name: str) -> Any:
    """The ticket's one-to-one ``name`` as the ticket page loaded it (None when the ticket has none), or
    ``NOT_LOADED`` when this ticket instance was not read with it (the caller then reads it itself)."""
    relation = cast("ForeignObjectRel", ticket._meta.get_field(name))
    if not ticket.__dict__.get(_LOADED) or not relation.is_cached(ticket):
        return NOT_LOADED
    return relation.get_cached_value(ticket)


def annotate_results(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    for chapter in registered():
        if chapter.results is not None:
            queryset = chapter.results(queryset)
    return queryset


def dashboard_figures() -> dict[str, Callable[..., Any]]:
    return {name: figure for chapter in registered() for name, figure in chapter.figures.items()}


def scan_name(scan: Callable[..., Any]) -> str:
    """A scan's dotted path: how logs and the periodic task's result name it."""
    return f"{scan.__module__}.{scan.__qualname__}"


def periodic_scans() -> dict[str, Callable[..., int]]:
    return {scan_name(scan): scan for chapter in registered() for scan in chapter.scans}


def provided(name: str) -> Callable[..., Any]:
    """The callable some installed chapter provides under ``name``; LookupError when none does."""
    for chapter in _registry.values():
        if name in chapter.provides:
            return chapter.provides[name]
    raise LookupError(f"No installed chapter provides {name!r}")
