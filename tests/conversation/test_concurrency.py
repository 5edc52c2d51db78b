"""The same mail taken by two workers at once is kept once: the database's unique Message-ID decides.
PostgreSQL only (CI runs it there): SQLite's in-memory test database is not shared between threads."""

import threading

import pytest
from django.db import connection, connections

from conversation import services
from conversation.models import Message
from tests.conversation.conftest import log_ticket
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's row locks between threads"
    ),
]


def test_two_workers_receiving_the_same_message_id_keep_one_message():
    owner = UserFactory(username="owner", role="engineer")
    ticket = log_ticket(owner)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def receive():
        try:
            barrier.wait(timeout=10)
            message = services.customer_message_receive(
                ticket=ticket, body="同一封邮件", channel="email", message_id="<race@customer.cn>"
            )
            results.append(message.pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Message.objects.filter(message_id="<race@customer.cn>").count() == 1
    assert len(set(results)) == 1 and len(results) == 4
