"""The attachments card on the ticket page, registered in toolkit.chapters (apps.py)."""

from toolkit import chapters


def _panel(ticket, user) -> chapters.Panel:
    from .views import ticket_card_context

    return chapters.Panel("attachments/_ticket_card.html", ticket_card_context(ticket, user))


def orphan_sweep(*, now) -> int:
    from . import services  # on first use: the web pages that register chapters need none of it

    return services.orphan_sweep(now=now)


def register() -> None:
    # After the chapters' own cards (1–6): the files are reference material for all of them.
    # Its scan deletes stored files that no attachment names (an upload rolled back by its caller).
    chapters.register(chapters.Chapter(label="attachments", order=90, panel=_panel, scans=[orphan_sweep]))
