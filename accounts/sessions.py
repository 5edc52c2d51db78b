"""What a session remembers about its sign-in, so that the checks on every request cost no query:
when it started, when its person was last active, whether it still owes a two-factor code, and the
half-done login of someone who has typed a password but not yet the code.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp import DEVICE_ID_SESSION_KEY

from . import selectors

STARTED = "accounts_started_at"
LAST_SEEN = "accounts_last_seen_at"
OWES_CODE = "accounts_owes_code"
PENDING_LOGIN = "accounts_pending_login"
# Activity is written at most once a minute: a session write on every request would cost queries.
LAST_SEEN_RESOLUTION = 60
# Time allowed between the password and the code.
PENDING_LOGIN_SECONDS = 5 * 60

IDLE = "idle"
TOO_OLD = "too_old"


@receiver(user_logged_in, dispatch_uid="accounts_session_started")
def session_started(sender, request, user, **kwargs):
    """Every login starts the clocks. A login that did not pass a code (force_login, any future way in)
    for a user who has two-factor sign-in leaves the session owing one: the middleware then signs it out.

    django-otp's own receiver, connected earlier, has already marked a session verified by our login."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = int(time.time())
    session[STARTED] = now
    session[LAST_SEEN] = now
    session.pop(PENDING_LOGIN, None)
    if DEVICE_ID_SESSION_KEY not in session and selectors.has_two_factor(user=user):
        session[OWES_CODE] = True
    else:
        session.pop(OWES_CODE, None)


def expiry(session, *, now: float) -> str | None:
    """IDLE or TOO_OLD when this signed-in session has ended, else None."""
    now = int(now)  # whole seconds, as stored
    started = session.get(STARTED)
    last_seen = session.get(LAST_SEEN)
    if started is None or last_seen is None:
        # A session from before these clocks existed: they start now.
        session[STARTED] = session[LAST_SEEN] = int(now)
        return None
    if now - started > settings.SESSION_MAX_SECONDS:
        return TOO_OLD
    if now - last_seen > settings.SESSION_IDLE_SECONDS:
        return IDLE
    return None


def touch(session, *, now: float) -> None:
    if now - session.get(LAST_SEEN, 0) >= LAST_SEEN_RESOLUTION:
        session[LAST_SEEN] = int(now)


def owes_code(session) -> bool:
    return bool(session.get(OWES_CODE))


def owes_code_clear(session) -> None:
    session.pop(OWES_CODE, None)


def pending_login_start(session, *, user, next_url: str) -> None:
    """The password was right and the user has two-factor sign-in: remember who, until the code."""
    session[PENDING_LOGIN] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
        "next": next_url,
    }


def pending_login(session):
    """(user, backend, next URL) of a login waiting for its code, or None when there is none or it is
    too old or the user can no longer sign in."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_LOGIN_SECONDS:
        session.pop(PENDING_LOGIN, None)
        return None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None or pending.get("backend") not in settings.AUTHENTICATION_BACKENDS:
        session.pop(PENDING_LOGIN, None)
        return None
    return user, pending["backend"], pending.get("next") or settings.LOGIN_REDIRECT_URL


def pending_login_clear(session) -> None:
    session.pop(PENDING_LOGIN, None)
