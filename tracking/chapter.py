"""What chapter 4 adds to the places the chapters share (toolkit.chapters), registered in apps.py."""

from toolkit import chapters

from . import reminders, selectors
from .mywork import tasks_due_for


def _panel(ticket, user) -> chapters.Panel:
    return chapters.Panel("tracking/_ticket_panel.html", {"tracking_panel": selectors.tracking_panel(ticket)})


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="tracking",
            order=4,
            panel=_panel,
            results=selectors.with_hours_spent,
            scans=[reminders.overdue_tasks_scan],
            # My work's section: the user's open tasks by planned end.
            provides={"mywork_tasks_due": tasks_due_for},
        )
    )
