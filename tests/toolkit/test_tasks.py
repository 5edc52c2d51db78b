"""SLA tasks without a worker: settings, the scan's plumbing, `manage.py check_sla`, exactly once.

Worker tests on the real Redis are in test_worker.py.
"""

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone, translation

from tests.factories import ContactFactory, UserFactory
from toolkit import notifications, services, sla, tasks
from toolkit.celery import app
from toolkit.choices import DeliveryStatus, Priority, ProblemType, Source, WebhookKind
from toolkit.models import ChatWebhook, Delivery, Reminder

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- settings


def _celery_settings(**environment) -> dict:
    """CELERY_* as a fresh process sees them with these environment variables (settings read env once)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_DEBUG="true", DJANGO_SETTINGS_MODULE="toolkit.settings", **environment)
    # The Celery app is configured too, as in a worker or a web process sending a task: the broker's
    # folders are made then (toolkit/celery.py), not when the settings are imported.
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "from toolkit.celery import app; app.conf.broker_url; "
        "print(json.dumps({'broker': settings.CELERY_BROKER_URL, "
        "'options': settings.CELERY_BROKER_TRANSPORT_OPTIONS}))"
    )
    result = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_redis_the_broker_is_a_folder_the_worker_and_web_server_share():
    config = _celery_settings()
    assert config["broker"].startswith("filesystem://")
    options = config["options"]
    assert options["data_folder_in"] == options["data_folder_out"]
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        folder = Path(options[key])
        assert folder.is_dir() and folder.parent == ROOT / ".broker"


def test_redis_url_switches_the_broker_to_redis():
    config = _celery_settings(REDIS_URL="redis://127.0.0.1:6379/3")
    assert config["broker"] == "redis://127.0.0.1:6379/3"
    assert config["options"]["visibility_timeout"] == 3600
    assert "data_folder_in" not in config["options"]


def test_celery_broker_url_wins_over_redis_url():
    config = _celery_settings(REDIS_URL="redis://127.0.0.1:6379/3", CELERY_BROKER_URL="redis://other:6379/1")
    assert config["broker"] == "redis://other:6379/1"


def test_beat_runs_the_scan_every_minute_and_tasks_are_safe_to_run_twice():
    entry = settings.CELERY_BEAT_SCHEDULE["sla-scan"]
    assert entry["task"] == tasks.sla_scan_task.name and entry["task"] in app.tasks
    assert entry["schedule"] == 60
    # A scan message older than one period is dropped: the next scan does its work anyway.
    assert entry["options"]["expires"] < entry["schedule"]
    for task in (tasks.sla_scan_task, tasks.deliver_task):
        assert task.acks_late and task.reject_on_worker_lost and task.ignore_result
        assert task.serializer == "json"
        assert task.soft_time_limit < task.time_limit
    assert app.conf.worker_prefetch_multiplier == 1


def test_chat_deliveries_go_to_their_own_queue_with_time_limits_from_the_deadline(
    owner, monkeypatch, settings
):
    settings.OUTBOUND_QUEUE = "outbound-test"
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url="https://8.8.8.8/hook")
    _overdue_ticket(owner)
    sent = []
    monkeypatch.setattr(
        tasks.deliver_task, "apply_async", lambda args, **options: sent.append((args[0], options))
    )
    outcome = tasks.scan_and_fan_out()
    assert tasks.enqueue_deliveries(outcome.delivery_ids) == len(outcome.delivery_ids)
    queues = {Delivery.objects.get(pk=pk).channel: options["queue"] for pk, options in sent}
    # Chat messages to the outbound queue; e-mail (like the scan and other jobs) to the default queue.
    assert queues == {"webhook": "outbound-test", "email": None}
    for _pk, options in sent:
        assert options["soft_time_limit"] == notifications.send_time_limit() > 10
        assert options["time_limit"] == notifications.task_time_limit() > options["soft_time_limit"]
        assert notifications.lease().total_seconds() > options["time_limit"]


def test_the_outbound_settings_exist_and_dev_py_consumes_every_queue(settings):
    for name in (
        "OUTBOUND_QUEUE",
        "WEBHOOK_CONNECT_TIMEOUT_SECONDS",
        "WEBHOOK_TIMEOUT_SECONDS",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES",
        "WEBHOOK_CIRCUIT_FAILURES",
        "WEBHOOK_CIRCUIT_COOL_OFF_SECONDS",
        "EMAIL_TIMEOUT",
    ):
        assert hasattr(settings, name), name
    assert settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES is False  # refused unless an admin allows them
    import importlib.util

    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    assert dev.worker_queues({}) == [settings.CELERY_TASK_DEFAULT_QUEUE, settings.OUTBOUND_QUEUE]
    assert dev.worker_queues({"CELERY_TASK_DEFAULT_QUEUE": "a", "OUTBOUND_QUEUE": "b"}) == ["a", "b"]


# ---------------------------------------------------------------- the scan's plumbing, with fakes


class FakeEngine:
    """Stand-ins for toolkit.sla / toolkit.notifications: `due` reminders per batch, two deliveries each."""

    def __init__(self, batches, retries=()):
        self.batches = list(batches)
        self.retries = list(retries)
        self.scan_calls = []
        self.fanned_out = []
        self.sent = []

    def sla_scan(self, *, now=None, batch_size=500):
        self.scan_calls.append((now, batch_size))
        return self.batches.pop(0) if self.batches else []

    def reminders_fan_out(self, reminder_ids):
        self.fanned_out.extend(reminder_ids)
        return [reminder_id * 10 + n for reminder_id in reminder_ids for n in (1, 2)]

    def deliveries_due(self, *, now=None, limit=500):
        return self.retries

    def delivery_send(self, delivery_id):
        self.sent.append(delivery_id)
        return DeliveryStatus.SENT


@pytest.fixture
def fake_engine(monkeypatch):
    def install(batches, retries=()):
        engine = FakeEngine(batches, retries)
        monkeypatch.setattr(sla, "sla_scan", engine.sla_scan)
        for name in ("reminders_fan_out", "deliveries_due", "delivery_send"):
            monkeypatch.setattr(notifications, name, getattr(engine, name))
        return engine

    return install


@pytest.fixture
def published(monkeypatch):
    """Delivery ids handed to the broker (nothing reaches a real one)."""
    sent = []

    def apply_async(args, **options):
        assert options.get("expires")
        sent.append(args[0])

    monkeypatch.setattr(tasks.deliver_task, "apply_async", apply_async)
    return sent


def test_scan_loops_over_batches_fans_out_and_queues_new_and_due_deliveries(
    db, fake_engine, published, django_capture_on_commit_callbacks
):
    engine = fake_engine(batches=[[1, 2], [3]], retries=[99, 11])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = tasks.run_sla_scan()
        # Nothing goes to the broker before the scan's writes are committed.
        assert published == []
    for callback in callbacks:
        callback()
    assert len(engine.scan_calls) == 3  # two batches with reminders, one empty
    assert len({now for now, _ in engine.scan_calls}) == 1  # one "now" for the whole run
    assert engine.fanned_out == [1, 2, 3]
    assert outcome.reminder_ids == [1, 2, 3]
    # New deliveries, then due retries not already in the list (11 is new, so not twice).
    assert published == [11, 12, 21, 22, 31, 32, 99]
    assert outcome.queued == 7


def test_scan_stops_after_its_batch_limit_and_leaves_the_rest_for_the_next_run(
    db, fake_engine, published, monkeypatch
):
    monkeypatch.setattr(tasks, "SCAN_MAX_BATCHES", 3)
    engine = fake_engine(batches=[[n] for n in range(1, 10)])
    tasks.run_sla_scan()
    assert engine.fanned_out == [1, 2, 3]


def test_a_fan_out_error_rolls_the_batch_back(transactional_db, monkeypatch):
    # The scan's reminders and their deliveries commit together: a crash in between leaves neither,
    # so the targets are scanned again rather than a reminder existing with nobody told.
    owner = UserFactory(email="owner@example.com", role="engineer")
    ticket = _overdue_ticket(owner)

    def broken_fan_out(reminder_ids):
        raise RuntimeError("mail template missing")

    monkeypatch.setattr(notifications, "reminders_fan_out", broken_fan_out)
    with pytest.raises(RuntimeError):
        tasks.run_sla_scan(inline=True)
    assert not Reminder.objects.filter(ticket_sla__ticket=ticket).exists()
    monkeypatch.undo()
    outcome = tasks.run_sla_scan(inline=True)
    assert outcome.reminder_ids and Reminder.objects.filter(ticket_sla__ticket=ticket).exists()


def test_broker_down_is_logged_and_the_scan_still_succeeds(
    db, fake_engine, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    fake_engine(batches=[[1]])
    calls = []

    def unreachable(args, **options):
        calls.append(args[0])
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.deliver_task, "apply_async", unreachable)
    with (
        caplog.at_level(logging.WARNING, logger="toolkit.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.sla_scan_task()  # as the worker runs it: no exception
    assert calls == [11]  # gives up at the first failure, the rest stay pending
    assert "broker unreachable, 0 of 2 deliveries queued" in caplog.text


def test_deliver_task_sends_through_the_notifications_module(fake_engine):
    engine = fake_engine(batches=[])
    assert tasks.deliver_task(42) == DeliveryStatus.SENT
    assert engine.sent == [42]


def test_check_sla_command_sends_inline_without_a_broker(db, fake_engine, monkeypatch):
    engine = fake_engine(batches=[[1, 2]], retries=[7])

    def no_broker(*args, **kwargs):
        raise AssertionError("check_sla must not use the broker")

    monkeypatch.setattr(tasks.deliver_task, "apply_async", no_broker)
    out = StringIO()
    with translation.override("en"):
        call_command("check_sla", stdout=out)
    assert engine.sent == [11, 12, 21, 22, 7]
    assert "2 reminders, 5 deliveries" in out.getvalue()
    assert "Sent: 5" in out.getvalue()


# ---------------------------------------------------------------- the real engine


def _overdue_ticket(owner, *, minutes_ago=60, priority=Priority.P0):
    """A P0 ticket logged through the service an hour ago: its 15-minute response target is breached."""
    contact = ContactFactory()
    when = timezone.now() - timedelta(minutes=minutes_ago)
    return services.ticket_create(
        recorded_by=owner,
        owner=owner,
        customer=contact.customer,
        contact=contact,
        source=Source.PHONE,
        occurred_at=when,
        recorded_at=when,
        description="支付系统无法使用,所有用户无法下单",
        problem_type=ProblemType.FUNCTIONAL,
        priority=priority,
        suggested_priority=priority,
    )


@pytest.fixture
def owner(db):
    manager = UserFactory(username="boss", email="boss@example.com", role="manager")
    return UserFactory(username="owner", email="owner@example.com", role="engineer", manager=manager)


def _sent_per_delivery():
    """(reminder, recipient) of every email sent, to count duplicates."""
    return [tuple(message.to) for message in mail.outbox]


def test_check_sla_records_and_sends_each_reminder_once(owner):
    ticket = _overdue_ticket(owner)
    out = StringIO()
    with translation.override("en"):
        call_command("check_sla", stdout=out)
    reminders = Reminder.objects.filter(ticket_sla__ticket=ticket)
    deliveries = Delivery.objects.filter(reminder__ticket_sla__ticket=ticket)
    assert reminders.filter(threshold=100).exists()
    assert deliveries.exists()
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    emails = deliveries.filter(channel="email").count()
    assert len(mail.outbox) == emails
    assert f"{reminders.count()} reminders, {deliveries.count()} deliveries" in out.getvalue()

    # Run again at once: nothing new is due, nothing is sent twice.
    out = StringIO()
    call_command("check_sla", stdout=out)
    assert "0 条提醒,0 条消息" in out.getvalue()  # the team's language by default
    assert len(mail.outbox) == emails


def test_a_task_run_twice_sends_once(owner, published):
    _overdue_ticket(owner)
    outcome = tasks.scan_and_fan_out()
    assert outcome.delivery_ids
    for delivery_id in outcome.delivery_ids:
        tasks.deliver_task(delivery_id)
        tasks.deliver_task(delivery_id)  # the same message again (acks late, or queued by two scans)
    assert len(mail.outbox) == Delivery.objects.filter(channel="email").count()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    # A second scan records nothing new and finds nothing due.
    assert tasks.scan_and_fan_out().reminder_ids == []


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("sqlite") or not os.environ.get("DATABASE_URL"),
    reason="needs PostgreSQL: SQLite runs one writer at a time, so two scans cannot overlap",
)
def test_two_scans_at_the_same_moment_record_and_send_each_reminder_once(transactional_db):
    manager = UserFactory(username="boss", email="boss@example.com", role="manager")
    owner = UserFactory(username="owner", email="owner@example.com", role="engineer", manager=manager)
    tickets = [_overdue_ticket(owner) for _ in range(20)]
    start = threading.Barrier(2)
    errors = []

    def scan():
        try:
            start.wait()
            tasks.run_sla_scan(inline=True)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    deliveries = Delivery.objects.filter(reminder__ticket_sla__ticket__in=tickets)
    assert deliveries.count() >= 20
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(mail.outbox) == deliveries.filter(channel="email").count()
    recipients = _sent_per_delivery()
    assert len(recipients) == len(mail.outbox)
