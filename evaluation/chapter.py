"""What chapter 5 adds to the places the chapters share (toolkit.chapters), registered in apps.py.

Its own results columns are annotated by selectors.with_results, which reads the others' from the registry.
"""

from toolkit import chapters

from . import reminders, selectors
from .mywork import followups_for


def _panel(ticket, user) -> chapters.Panel:
    return chapters.Panel(
        "evaluation/_ticket_panel.html", {"evaluation_panel": selectors.evaluation_panel(ticket)}
    )


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="evaluation",
            order=5,
            panel=_panel,
            ticket_relations=["verification__verified_by"],
            scans=[reminders.follow_up_scan],
            provides={
                "verification_of": selectors.verification_of,
                # My work's section: the user's follow-up visits not yet done.
                "mywork_followups": followups_for,
            },
        )
    )
