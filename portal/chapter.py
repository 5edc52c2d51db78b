"""The portal's card on the ticket page (toolkit.chapters), registered in apps.py."""

from toolkit import chapters

from . import selectors, services

# After the six chapters' cards.
ORDER = 7


def _panel(ticket, user) -> chapters.Panel:
    return chapters.Panel(
        "portal/_ticket_panel.html",
        {"portal_card": selectors.ticket_card(ticket), "portal_can_manage": services.can_manage_links(user)},
    )


def register() -> None:
    chapters.register(chapters.Chapter(label="portal", order=ORDER, panel=_panel))
