"""What sign-in adds to the places the apps share (toolkit.chapters), registered in apps.py."""

from toolkit import chapters

from . import services


def register() -> None:
    # Not a reminder: login records past their retention deleted.
    chapters.register(chapters.Chapter(label="accounts", order=91, scans=[services.purge_sign_in_log]))
