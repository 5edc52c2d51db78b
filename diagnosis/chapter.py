"""What chapter 1 offers the apps above it through the registry (toolkit.chapters), registered in apps.py.

The ticket page itself is chapter 1's, so it adds no card; it provides the user's saved views of the table
to My work, which may not import a chapter."""

from toolkit import chapters

from .saved_views import saved_views_for_mywork


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="diagnosis",
            order=1,
            provides={"mywork_saved_views": saved_views_for_mywork},
        )
    )
