"""The same report form sent twice at the same moment (a double tap, a retry) logs one ticket: the
status link's unique token hash decides. Real concurrent transactions need PostgreSQL (the test suite's
in-memory SQLite answers "table is locked" to a second writer thread; CI runs on PostgreSQL); the
sequential double submit is tested on both in test_report.py."""

import threading

import pytest
from django.db import connection

from portal import services
from toolkit.models import Ticket

from .conftest import answers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_form_log_one_ticket(customer, engineer):
    issued = services.report_link_issue(customer=customer, by=engineer)
    data = answers()
    cleaned = {
        **data,
        "occurred_at": None,
        "users_affected": 3,
        "description": data["description"],
    }
    start = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            start.wait(timeout=10)
            results.append(
                services.report_submit(token=issued.token, status_token=data["status_token"], answers=cleaned)
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Ticket.objects.count() == 1
    assert {result.ticket.pk for result in results} == {Ticket.objects.get().pk}
    assert sorted(result.duplicate for result in results) == [False, True]
