"""What chapter 3 adds to the places the chapters share (toolkit.chapters), registered in apps.py."""

from toolkit import chapters

from . import selectors
from .mywork import approvals_for


def _panel(ticket, user) -> chapters.Panel:
    return chapters.Panel(
        "solutions/_ticket_panel.html", {"solutions_panel": selectors.solution_panel(ticket)}
    )


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="solutions",
            order=3,
            panel=_panel,
            ticket_relations=["solution_design__chosen_option"],
            results=selectors.with_requirements_delivered,
            provides={
                "approved_option": selectors.approved_option,
                # My work's section: designs waiting for the user's decision.
                "mywork_approvals": approvals_for,
            },
        )
    )
