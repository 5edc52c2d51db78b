"""Which language to write to someone in, when there is no request to ask (reminders, e-mails).

A person's own choice (User.language), else the team's language (settings.LANGUAGE_CODE) as it is
at the time of writing. Chat robots speak to the whole team, so they always get the team's language.
"""

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation


def supported(language: str | None) -> str | None:
    """The language code if the site offers it (settings.LANGUAGES), else None."""
    return language if language in dict(settings.LANGUAGES) else None


def team_language() -> str:
    return settings.LANGUAGE_CODE


def language_of(user) -> str:
    """The user's language for messages; the team's language for nobody or no choice."""
    return supported(getattr(user, "language", "")) or team_language()


@contextmanager
def writing_to(user):
    """Render text inside this block in the user's language (see language_of)."""
    with translation.override(language_of(user)):
        yield
