"""Living with a database that sometimes says no: deadlocks, serialisation failures, lost connections.

A transaction the database rolled back because of a deadlock (PostgreSQL 40P01), a serialisation
failure (40001) or a busy SQLite file changed nothing, so running it again is safe. A connection lost
mid-request (a database restart) is thrown away so the next query opens a fresh one.
"""

import functools
import logging
import random
import time

from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction

logger = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
TRANSACTION_ATTEMPTS = 4


def is_retryable_conflict(error: BaseException) -> bool:
    """A deadlock, a serialisation failure or a locked SQLite file: the whole transaction was rolled back."""
    if not isinstance(error, OperationalError):
        return False
    if getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error)


def is_connection_lost(error: BaseException) -> bool:
    """The server went away (restart, network): no answer about the transaction, so nothing was saved."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError) or is_retryable_conflict(error):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    # Class 08 is "connection exception"; 57P01-57P03 are "admin shutdown", "crash shutdown", "cannot
    # connect now" (a server still starting). Without a state the driver saw the socket close.
    return sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"} or not sqlstate


def discard_broken_connections() -> None:
    """Close connections whose last query failed at the connection level; Django reconnects on next use."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()


def retry_on_conflict(func):
    """Run a transactional service again (with a short random pause) when the database rolled it back.

    Only the outermost transaction can be retried: inside someone else's atomic block the error goes
    up to whoever owns the transaction.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except DatabaseError as error:
                if (
                    attempt == TRANSACTION_ATTEMPTS
                    or transaction.get_connection().in_atomic_block
                    or not is_retryable_conflict(error)
                ):
                    raise
                logger.info("%s: %s; running it again (attempt %d)", func.__qualname__, error, attempt + 1)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    return wrapper


READ_RETRY_PAUSES = (0.3, 1.0, 2.0)  # seconds: a restarting server is usually back within a second or two


def _database_trouble_in(error: BaseException | None) -> bool:
    """The error, or one it arose from (a session that could not be saved, say), is the database's."""
    for _depth in range(5):
        if error is None:
            return False
        if is_connection_lost(error) or is_retryable_conflict(error):
            return True
        error = error.__cause__ or error.__context__
    return False


class DatabaseTroubleMiddleware:
    """Outermost: a page read that met a lost connection (a database restart) is read again on a fresh
    one, after a short pause. A write is not repeated (nobody knows whether it was saved); it keeps the
    "not saved, please retry" answer of the error handlers below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in ("GET", "HEAD"):
            for pause in READ_RETRY_PAUSES:
                if not getattr(response, "database_unavailable", False):
                    break
                time.sleep(pause)
                response = self.get_response(request)
        return response


def _unavailable():
    """503 page rendered without the request's context processors: they would ask the database again."""
    from django.http import HttpResponse
    from django.template.loader import render_to_string

    discard_broken_connections()
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "5"
    response.database_unavailable = True
    return response


def server_error(request):
    """handler500: a database that is away gets a translated 503 "not saved, please retry" page."""
    import sys

    from django.views.defaults import server_error as default_server_error

    if _database_trouble_in(sys.exc_info()[1]):
        return _unavailable()
    return default_server_error(request)


def bad_request(request, exception):
    """handler400: Django answers 400 "session interrupted" when the session could not be saved because
    the database went away; that is the database's trouble too."""
    from django.views.defaults import bad_request as default_bad_request

    if _database_trouble_in(exception):
        return _unavailable()
    return default_bad_request(request, exception)


def refresh_planner_statistics() -> None:
    """ANALYZE after a bulk load: without fresh statistics PostgreSQL guesses a few hundred rows where
    there are tens of thousands and picks a plan that sorts them all (SQLite's planner reads
    sqlite_stat1 the same way). Autovacuum would get there, minutes later.

    On PostgreSQL outside a transaction, VACUUM too: it marks the freshly written pages all-visible, so
    the table's counts are index-only scans (4,000 matches: 0.8 ms instead of 14 ms reading the rows)."""
    connection = connections["default"]
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
