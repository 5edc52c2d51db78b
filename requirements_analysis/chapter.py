"""What chapter 2 adds to the places the chapters share (toolkit.chapters), registered in apps.py."""

from toolkit import chapters

from . import selectors


def _panel(ticket, user) -> chapters.Panel:
    return chapters.Panel(
        "requirements_analysis/_ticket_panel.html", {"requirements_panel": selectors.analysis_panel(ticket)}
    )


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="requirements_analysis",
            order=2,
            panel=_panel,
            results=selectors.with_requirements_total,
            provides={
                "ranked_requirements": selectors.ranked_items,
                "wanted_requirements": selectors.wanted_items,
            },
        )
    )
