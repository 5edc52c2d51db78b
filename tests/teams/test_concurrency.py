"""Round robin under concurrency: tickets routed at the same moment go to different people, because
the cursor is read and moved under a lock on the team row. Real concurrent transactions need
PostgreSQL (the test suite's SQLite answers "table is locked" to a second writer thread)."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from teams import routing
from teams.models import Membership, Team
from tests.factories import UserFactory
from tests.teams.conftest import rule
from toolkit.choices import ProblemType, Source


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_routing_never_gives_two_tickets_to_the_same_next_person():
    team = Team.objects.create(name="网络组")
    people = [UserFactory(username=f"rr{i}", role="engineer") for i in range(4)]
    for user in people:
        Membership.objects.create(team=team, user=user)
    rule(team, 10)
    start = threading.Barrier(8)
    owners, errors = [], []

    def intake():
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                result = routing.route(
                    problem_type=ProblemType.FUNCTIONAL,
                    customer=None,
                    source=Source.PHONE,
                    description="网络超时",
                    error_message="",
                    commit=True,
                )
                time.sleep(0.05)  # the ticket being written while the lock is held
                owners.append(result.owner.pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=intake) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    # 8 tickets over 4 people: each gets exactly two, whatever the interleaving.
    assert sorted(Counter(owners).values()) == [2, 2, 2, 2]
