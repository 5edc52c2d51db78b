"""When the database says no: deadlocks are retried, scans and engineers take locks in one order, and a
connection killed mid-request gives "not saved, please retry" (503) or a re-read page, never a 500.

These run against the real database server; the concurrency ones need PostgreSQL (row locks and
deadlock detection), which CI always has.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContactFactory, UserFactory
from toolkit import services, sla
from toolkit.choices import Priority, ProblemType, Source, Stage
from toolkit.db import retry_on_conflict
from toolkit.models import Clarification, Ticket

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and deadlock detection are PostgreSQL's"
)


def _log(owner, *, minutes_ago=90) -> Ticket:
    contact = ContactFactory()
    occurred = timezone.now() - timedelta(minutes=minutes_ago)
    ticket = services.ticket_create(
        recorded_by=owner,
        owner=owner,
        customer=contact.customer,
        contact=contact,
        source=Source.PHONE,
        occurred_at=occurred,
        description="支付系统无法访问",
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P0,
        suggested_priority=Priority.P0,
    )
    return ticket


def _in_threads(*targets):
    """Run each callable in its own thread (own database connection); return the exceptions raised."""
    errors = []

    def guard(target):
        try:
            target()
        except Exception as error:  # noqa: BLE001 - the test reports every failure
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guard, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@postgres_only
def test_a_deadlocked_transaction_is_run_again_and_both_sides_finish(transactional_db):
    owner = UserFactory(role="engineer")
    first, second = _log(owner), _log(owner)
    attempts = []
    both_hold_one = threading.Barrier(2, timeout=10)

    @retry_on_conflict
    @transaction.atomic
    def lock_both(one, other):
        attempts.append(one.pk)
        Ticket.objects.select_for_update().get(pk=one.pk)
        if len(attempts) <= 2:  # the first time round, make sure each holds one lock before the other
            both_hold_one.wait()
        Ticket.objects.select_for_update().get(pk=other.pk)
        Ticket.objects.filter(pk=one.pk).update(error_message=f"done {one.pk}")

    errors = _in_threads(lambda: lock_both(first, second), lambda: lock_both(second, first))

    assert errors == []
    assert len(attempts) == 3  # PostgreSQL broke the circle by rolling one back; it ran again
    results = Ticket.objects.filter(pk__in=[first.pk, second.pk]).values_list("error_message", flat=True)
    assert set(results) == {f"done {first.pk}", f"done {second.pk}"}


@postgres_only
def test_stage_changes_during_scans_never_deadlock_and_every_scan_completes(transactional_db):
    owner = UserFactory(role="engineer", manager=UserFactory(role="manager"))
    tickets = [_log(owner) for _ in range(12)]
    for ticket in tickets:
        services.ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="开始", by=owner)
    rounds = 15
    scans_done = []

    def scans():
        # Each scan looks 31 minutes later than the one before: every P0 target is breached and its
        # repeat reminder comes due again, so every scan locks and updates every ticket.
        start = timezone.now()
        for i in range(rounds):
            while sla.sla_scan(now=start + timedelta(minutes=31 * (i + 1)), batch_size=5):
                pass
            scans_done.append(i)

    def engineer(mine):
        for i in range(rounds):
            for ticket in mine:
                to_stage = Stage.ANALYSIS if i % 2 == 0 else Stage.DIAGNOSIS
                services.ticket_change_stage(
                    ticket=ticket,
                    to_stage=to_stage,
                    reason=f"第{i}轮",
                    by=owner,
                    back=to_stage == Stage.DIAGNOSIS,
                )

    errors = _in_threads(scans, scans, lambda: engineer(tickets[::2]), lambda: engineer(tickets[1::2]))

    assert errors == []
    assert len(scans_done) == 2 * rounds
    for ticket in tickets:
        assert ticket.stage_changes.count() == 1 + rounds


@postgres_only
def test_a_write_that_lost_its_connection_answers_503_and_saves_nothing(transactional_db, monkeypatch):
    """The server ends the connection (as in a restart) while the request is saving."""
    owner = UserFactory(role="engineer")
    ticket = _log(owner, minutes_ago=5)
    client = Client(raise_request_exception=False)
    client.force_login(owner)

    def add_clarification_on_a_dying_connection(*, ticket, text, by):
        _terminate_this_connection()
        return Clarification.objects.create(ticket=ticket, text=text, added_by=by)

    monkeypatch.setattr(services, "ticket_add_clarification", add_clarification_on_a_dying_connection)
    url = reverse("diagnosis:clarify", args=[ticket.number])
    response = client.post(url, {"text": "客户补充:仅限 Chrome"})
    monkeypatch.undo()

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "未保存" in response.content.decode()
    assert not Clarification.objects.filter(ticket=ticket).exists()
    # The next request reconnects by itself.
    assert client.get(reverse("diagnosis:detail", args=[ticket.number])).status_code == 200


def _terminate_this_connection():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@postgres_only
def test_connections_killed_during_saves_and_reads_give_no_500_and_lose_no_saved_write(transactional_db):
    """pg_terminate_backend on every web connection every 3 s (to the app, a restart each time) while
    two users save and read."""
    owner = UserFactory(role="engineer")
    ticket = _log(owner, minutes_ago=5)
    database = connection.settings_dict["NAME"]
    stop = threading.Event()
    statuses, saved_texts = [], []

    def killer():
        while not stop.is_set():
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        [database],
                    )
            finally:
                other.close()
            time.sleep(3)

    clients = {}
    for name in ("甲", "乙"):  # signed in before the killing starts
        clients[name] = Client(raise_request_exception=False)
        clients[name].force_login(owner)

    def user(name):
        client = clients[name]
        for i in range(40):
            text = f"{name} 补充 {i}"
            response = client.post(reverse("diagnosis:clarify", args=[ticket.number]), {"text": text})
            statuses.append(("POST", response.status_code))
            if response.status_code in (200, 302):
                saved_texts.append(text)
            response = client.get(reverse("diagnosis:detail", args=[ticket.number]))
            statuses.append(("GET", response.status_code))

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    try:
        errors = _in_threads(lambda: user("甲"), lambda: user("乙"))
    finally:
        stop.set()
        kill_thread.join()
    connection.close()

    assert errors == []
    print(Counter(statuses))
    assert {status for _method, status in statuses} <= {200, 302, 503}  # never a 500 (or a 400)
    reads = [status for method, status in statuses if method == "GET"]
    assert reads.count(200) == len(reads)  # reads are read again on a fresh connection
    stored = set(Clarification.objects.filter(ticket=ticket).values_list("text", flat=True))
    assert set(saved_texts) <= stored  # every write the user was told about is there
