"""What chapter 6 adds to the places the chapters share (toolkit.chapters), registered in apps.py."""

from toolkit import chapters

from . import selectors, services
from .mywork import reviews_for
from .ticket_text import ticket_text_match


def _panel(ticket, user) -> chapters.Panel:
    return chapters.Panel(
        "knowledge/_ticket_panel.html", {"knowledge_panel": selectors.knowledge_panel(ticket)}
    )


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="knowledge",
            order=6,
            panel=_panel,
            figures={"knowledge_reuse": selectors.reuse_by_month},
            provides={
                # Tickets created in bulk (the Excel import) send no post_save: index them explicitly.
                "index_tickets": services.tickets_index,
                "link_article_chosen_at_intake": services.article_link_chosen_at_intake,
                # The diagnosis table's q= over the tickets' search documents.
                "ticket_text_match": ticket_text_match,
                # My work's section: articles waiting for the user's review.
                "mywork_reviews": reviews_for,
            },
        )
    )
