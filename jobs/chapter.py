"""What the background jobs add to the places the apps share (toolkit.chapters), registered in apps.py."""

from toolkit import chapters

from . import services


def register() -> None:
    # Not a reminder: expired jobs deleted with their files, lost job messages sent again.
    chapters.register(chapters.Chapter(label="jobs", order=90, scans=[services.jobs_housekeeping]))
