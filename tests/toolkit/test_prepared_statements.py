"""On PostgreSQL a connection prepares the queries it runs again (DATABASE_PREPARED_STATEMENTS, on by
default), so the database plans them once rather than on every request; a pooler in transaction mode
needs them off."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import TicketFactory
from toolkit.models import Ticket

ROOT = Path(__file__).resolve().parents[2]


SCRIPT = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolkit.settings")
import django
django.setup()
from django.conf import settings
print(json.dumps(settings.DATABASES["default"].get("OPTIONS", {})))
"""


def _database_options(**environment) -> dict:
    """The database OPTIONS the settings make of this environment (read in a fresh process)."""
    env = {**os.environ, "DJANGO_DEBUG": "true", **environment}
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_connections_prepare_and_a_setting_turns_it_off():
    url = "postgres://postgres@127.0.0.1:5432/unused"
    on = _database_options(DATABASE_URL=url)
    assert on["server_side_binding"] is True and on["prepare_threshold"] == 2
    off = _database_options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in off and "prepare_threshold" not in off
    assert "prepare_threshold" not in _database_options(DATABASE_URL="sqlite:///unused.sqlite3")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_query_run_again_on_a_connection_is_planned_once(db):
    numbers = [TicketFactory().number for _ in range(3)]
    for number in numbers:  # the same statement with another parameter each time
        assert Ticket.objects.filter(number=number).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "toolkit_ticket"' in sql and '"number" = $1' in sql for sql in prepared), prepared
