"""What the conversation adds to the places the apps share (toolkit.chapters), registered in apps.py:
its card first on the ticket page, and the scan that queues replies whose mail is due again."""

from toolkit import chapters

from . import services


def _panel(ticket, user) -> chapters.Panel:
    from .views import panel_context

    return chapters.Panel("conversation/_card.html", panel_context(ticket, user))


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="conversation",
            order=0,
            panel=_panel,
            scans=[services.replies_due_scan],
            # A customer-visible reply from another app (a parent incident's update to each grouped ticket).
            provides={"conversation_reply_send": services.reply_send},
        )
    )
