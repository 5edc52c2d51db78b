"""SLA reminders through a real Celery worker on the real Redis.

- a worker (in this process, on Redis) runs the scan sent through the broker and delivers once;
- a chat robot that hangs: with chat deliveries on their own queue and worker pool, every scan runs
  and e-mail reminders go out at once;
- a worker process killed in the middle of a webhook delivery: after a restart it is delivered once,
  as the identical message with the same X-Delivery-Id;
- Redis down: logging and editing tickets still works, the scan logs the broker error, and once the
  broker is back the next scan delivers what was missed.

Without a reachable Redis these tests skip locally and fail in CI (CI=true). They need PostgreSQL (CI
runs them there): a worker process cannot see SQLite's in-memory test database, and a worker thread
sharing it meets table locks. On SQLite they skip; test_tasks.py covers the same paths without a worker.
Each test run uses its own queues (default and outbound) on its own Redis database number, and
removes them afterwards. Chat robots are local servers on 127.0.0.1, so private addresses are allowed.
"""

import json
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import kombu.pools
import pytest
from django.core import mail
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from tests.conftest import IN_CI
from tests.factories import ContactFactory, UserFactory
from tests.toolkit.servers import Robot, start_server, stop_server
from toolkit import services, sla, tasks
from toolkit.celery import app
from toolkit.choices import DeliveryStatus, Priority, ProblemType, Source, WebhookKind
from toolkit.models import ChatWebhook, Delivery, Reminder, Ticket, TicketSla

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
TEST_REDIS_DB = 14  # the tests' own database number on the same Redis server
DOWN_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _redis_reachable() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def _require_redis():
    if not _redis_reachable():
        message = f"Redis is not reachable at {urlsplit(REDIS_URL).netloc} (set REDIS_URL)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _redis_db_url(db: int) -> str:
    parts = urlsplit(REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


TEST_BROKER_URL = _redis_db_url(TEST_REDIS_DB)


# ---------------------------------------------------------------- broker, worker, webhook receiver


def _reset_broker_connections():
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools per connection in a global registry; a worker's shutdown closes them.
    kombu.pools.reset()


@contextmanager
def use_broker(url, queue):
    """Point this process's Celery app at another broker and default queue (and back afterwards)."""
    saved = app.conf.broker_url, app.conf.task_default_queue
    app.conf.broker_url, app.conf.task_default_queue = url, queue
    _reset_broker_connections()
    try:
        yield
    finally:
        _reset_broker_connections()
        app.conf.broker_url, app.conf.task_default_queue = saved


def _outbound(queue):
    return f"{queue}.outbound"


@pytest.fixture
def redis_queue(settings):
    """This test's own queue and outbound queue on the tests' Redis database; removed afterwards."""
    _require_redis()
    import redis

    queue = f"toolkit-test-{uuid.uuid4().hex[:12]}"
    settings.OUTBOUND_QUEUE = _outbound(queue)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    client = redis.Redis.from_url(TEST_BROKER_URL)
    try:
        with use_broker(TEST_BROKER_URL, queue):
            yield queue
    finally:
        # The queues themselves, and messages a killed worker left unacknowledged for them.
        for name in (queue, _outbound(queue)):
            client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
            client.zrem("_kombu.binding_deadlines", f"{name}{name}")
        for tag, raw in client.hgetall("unacked").items():
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError):
                continue
            if routing_key in (queue, _outbound(queue)):
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        client.close()


@contextmanager
def worker_in_thread(queue):
    """A real Celery worker consuming `queue` and its outbound queue on Redis, in a thread of this process."""
    from celery.contrib.testing.worker import start_worker

    saved = app.conf.worker_hijack_root_logger
    app.conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            queues=[queue, _outbound(queue)],
            shutdown_timeout=20,
        ) as worker:
            yield worker
    finally:
        app.conf.worker_hijack_root_logger = saved


def wait_for(condition, *, timeout=30, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


class WebhookReceiver:
    """A local chat robot (WeCom reply format). Counts each delivery only when its reply got through.

    `hold_first=True` keeps the first request open without replying until its sender goes away
    (a worker killed mid-delivery), which is then counted as aborted, not received.
    """

    def __init__(self, *, hold_first=False):
        self.hold_first = hold_first
        self.started = []  # X-Delivery-Id of every request that arrived
        self.bodies = []  # ... and its body, as received
        self.received = []  # ... of every request answered while its sender still waited
        self.aborted = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                json.loads(body)
                delivery = self.headers.get("X-Delivery-Id", "")
                with receiver.lock:
                    first = not receiver.started
                    receiver.started.append(delivery)
                    receiver.bodies.append(body)
                if first and receiver.hold_first and not receiver._wait_for_hangup(self.connection):
                    return
                if receiver._sender_gone(self.connection):
                    with receiver.lock:
                        receiver.aborted.append(delivery)
                    return
                reply = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                self.wfile.flush()
                with receiver.lock:
                    receiver.received.append(delivery)

            def log_message(self, format, *args):
                pass

        self.handler = Handler

    @staticmethod
    def _sender_gone(sock) -> bool:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""

    def _wait_for_hangup(self, sock, timeout=60) -> bool:
        """Hold the request until the sender disconnects; False (and counted aborted) when it does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._sender_gone(sock):
                with self.lock:
                    self.aborted.append(self.started[0])
                return False
            time.sleep(0.05)
        return True

    def __enter__(self):
        self.server = start_server(self.handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"
        return self

    def __exit__(self, *exc):
        stop_server(self.server)


# ---------------------------------------------------------------- data


def _users():
    manager = UserFactory(username="boss", email="boss@example.com", role="manager")
    owner = UserFactory(username="owner", email="owner@example.com", role="engineer", manager=manager)
    return owner, manager


def _overdue_p0_ticket(owner, minutes_ago=60):
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
        priority=Priority.P0,
        suggested_priority=Priority.P0,
    )


def _deliveries(ticket):
    return Delivery.objects.filter(reminder__ticket_sla__ticket=ticket)


def _all_sent(ticket) -> bool:
    deliveries = list(_deliveries(ticket).values_list("status", flat=True))
    return bool(deliveries) and set(deliveries) == {DeliveryStatus.SENT}


# ---------------------------------------------------------------- 1. end to end


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: SQLite's shared in-memory test database locks whole tables between threads",
)
def test_a_worker_on_redis_delivers_an_overdue_p0_reminder_once(transactional_db, redis_queue):
    owner, _manager = _users()
    ticket = _overdue_p0_ticket(owner)
    with WebhookReceiver() as robot:
        ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url=robot.url)
        with worker_in_thread(redis_queue):
            tasks.sla_scan_task.delay()  # through Redis, as beat sends it
            wait_for(lambda: _all_sent(ticket), message="the reminder's deliveries to be sent")
            # A second scan (the next minute, or a second beat) finds nothing new to send.
            tasks.sla_scan_task.delay()
            tasks.sla_scan_task.delay()
            time.sleep(2)
        deliveries = _deliveries(ticket)
        assert Reminder.objects.filter(ticket_sla__ticket=ticket, threshold=100).exists()
        emails = deliveries.filter(channel="email")
        assert emails.exists() and len(mail.outbox) == emails.count()
        assert all(ticket.number in message.subject + message.body for message in mail.outbox)
        webhook_ids = {str(pk) for pk in deliveries.filter(channel="webhook").values_list("pk", flat=True)}
        assert webhook_ids and sorted(robot.received) == sorted(webhook_ids)
        assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}


# ---------------------------------------------------------------- 2. a robot that hangs

SCAN_EVERY_SECONDS = 2
SCANS = 6


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: worker processes cannot share SQLite's in-memory test database",
)
def test_a_hanging_robot_delays_neither_email_reminders_nor_scans(transactional_db, redis_queue, tmp_path):
    """Production shape: one worker pool for the default queue, one for the outbound queue."""
    owner, _manager = _users()
    tickets = [_overdue_p0_ticket(owner) for _ in range(4)]
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    with Robot(mode="hang") as robot:
        ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url=robot.url)
        default = _start_worker_process(redis_queue, tmp_path / "default.log", mail_dir, queues=[redis_queue])
        outbound = _start_worker_process(
            redis_queue, tmp_path / "outbound.log", mail_dir, queues=[_outbound(redis_queue)]
        )
        try:
            _wait_until_ready(default)
            _wait_until_ready(outbound)
            # Beat's schedule, faster: a scan every 2 s that expires if not started within 1.8 s.
            started = time.monotonic()
            emails_sent_after = None
            for scan in range(SCANS):
                tasks.sla_scan_task.apply_async(expires=SCAN_EVERY_SECONDS * 0.9)
                time.sleep(SCAN_EVERY_SECONDS)
                emails = Delivery.objects.filter(reminder__ticket_sla__ticket__in=tickets, channel="email")
                if (
                    emails_sent_after is None
                    and emails.exists()
                    and not emails.exclude(status="sent").exists()
                ):
                    emails_sent_after = time.monotonic() - started
                    # The robot is still hanging on to the chat messages at this point.
                    assert (
                        robot.received
                        and Delivery.objects.filter(channel="webhook").exclude(status="sent").exists()
                    )
                assert scan < 3 or emails_sent_after is not None, "e-mail still waiting after 8 s"
        finally:
            _stop(default)
            _stop(outbound)
    log = (tmp_path / "default.log").read_text(errors="replace")
    # Every scan ran: none expired waiting behind a chat delivery.
    assert log.count("toolkit.tasks.sla_scan_task[") >= SCANS, log
    assert len(re.findall(r"sla_scan_task\[[^\]]+\] succeeded", log)) == SCANS, log
    assert "expired" not in log.lower() and "revoked" not in log.lower(), log
    assert "deliver_task" in (tmp_path / "outbound.log").read_text(errors="replace")
    sent_mails = sum(path.read_text().count("\nSubject: ") for path in mail_dir.iterdir())
    assert sent_mails == Delivery.objects.filter(channel="email").count() == 2 * len(tickets)


# ---------------------------------------------------------------- 3. a worker killed mid-delivery


# Worker processes get short send deadlines, so that the claim's lease (derived from them, see
# toolkit.notifications.lease) lets a dead worker's delivery go again within the test.
WORKER_ENV = {
    "WEBHOOK_TIMEOUT_SECONDS": "3",
    "WEBHOOK_CONNECT_TIMEOUT_SECONDS": "1",
    "EMAIL_TIMEOUT": "1",
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",  # the robots listen on 127.0.0.1
}


def _start_worker_process(queue, log_path, mail_dir, *, queues=None):
    """A prefork worker process (as in production) consuming `queues` (default: both of this test's)."""
    env = {
        **os.environ,
        **WORKER_ENV,
        "DJANGO_DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "toolkit.settings",
        # The test database, which this test's rows are committed to (transactional_db).
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "OUTBOUND_QUEUE": _outbound(queue),
        "EMAIL_URL": f"filemail:///{mail_dir}",  # environ drops one leading slash
        # Redis gives a dead worker's unacknowledged message back after this many seconds.
        "CELERY_VISIBILITY_TIMEOUT": "5",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "--app=toolkit",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--queues={','.join(queues or [queue, _outbound(queue)])}",
        f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
    ]
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(  # noqa: S603 - fixed command
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    process.log = log
    process.log_path = log_path
    return process


def _wait_until_ready(process, timeout=60):
    wait_for(
        lambda: b" ready." in process.log_path.read_bytes() or process.poll() is not None,
        timeout=timeout,
        message="the worker to start",
    )
    assert process.poll() is None, process.log_path.read_text(errors="replace")


def _database_url():
    settings_dict = connection.settings_dict
    user = settings_dict["USER"] or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def _stop(process, sig=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    process.log.close()


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: a worker process cannot share SQLite's in-memory test database",
)
def test_a_worker_killed_mid_delivery_delivers_once_after_restart(transactional_db, redis_queue, tmp_path):
    owner, _manager = _users()
    ticket = _overdue_p0_ticket(owner)
    log_path, mail_dir = tmp_path / "worker.log", tmp_path / "mail"
    mail_dir.mkdir()
    with WebhookReceiver(hold_first=True) as robot:
        ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url=robot.url)
        first = _start_worker_process(redis_queue, log_path, mail_dir)
        try:
            tasks.sla_scan_task.delay()
            wait_for(lambda: robot.started, timeout=60, message="the first worker to start the webhook call")
            webhook = _deliveries(ticket).get(channel="webhook")
            assert webhook.status == DeliveryStatus.SENDING  # claimed, in flight
        finally:
            _stop(first, signal.SIGKILL)  # the whole worker, parent and child, dies at once
        wait_for(lambda: robot.aborted, timeout=10, message="the robot to see the sender hang up")

        second = _start_worker_process(redis_queue, log_path, mail_dir)
        try:
            # Beat's next scans: once the dead worker's claim is stale the delivery is queued again.
            def delivered():
                tasks.sla_scan_task.delay()
                return _all_sent(ticket)

            wait_for(delivered, timeout=60, interval=2, message="the delivery after the restart")
            time.sleep(6)  # past the visibility timeout: Redis hands the killed task back, harmlessly
            tasks.sla_scan_task.delay()
            time.sleep(2)
        finally:
            _stop(second)
    log = log_path.read_text(errors="replace")
    webhook.refresh_from_db()
    assert webhook.status == DeliveryStatus.SENT, log
    assert robot.received == [str(webhook.pk)], log
    # Tried by the dead worker, then once more: the same id and the identical message.
    assert robot.started == [str(webhook.pk)] * 2, log
    assert robot.bodies[0] == robot.bodies[1] == webhook.payload.encode()
    emails = _deliveries(ticket).filter(channel="email").count()
    sent_mails = sum(path.read_text().count("\nSubject: ") for path in mail_dir.iterdir())
    assert sent_mails == emails, log


# ---------------------------------------------------------------- 4. Redis down


def _intake_form(owner):
    return {
        "customer_name": "TSB工厂",
        "customer_tier": "standard",
        "contact_name": "*先生",
        "contact_details": "139",
        "source": "phone",
        "occurred_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "description": "设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度",
        "error_message": "",
        "problem_type": "functional",
        "impact_scope": "everyone",
        "users_affected": "",
        "frequency": "persistent",
        "business_urgency": "high",
        "priority": "P0",
        "preliminary_judgement": "网络带宽不足",
        "owner": owner.pk,
    }


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: SQLite's shared in-memory test database locks whole tables between threads",
)
def test_with_redis_down_tickets_save_and_reminders_catch_up_when_it_is_back(
    transactional_db, client, caplog, redis_queue
):
    owner, _manager = _users()
    client.force_login(owner)
    published = []

    from celery.signals import before_task_publish

    def record(sender=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(record)
    try:
        with use_broker(DOWN_BROKER_URL, redis_queue):
            response = client.post(reverse("diagnosis:new"), _intake_form(owner))
            assert response.status_code == 302
            ticket = Ticket.objects.get()
            form = client.get(reverse("diagnosis:edit", args=[ticket.number])).context["form"]
            data = {name: form[name].value() or "" for name in form.fields}
            data.update(
                preliminary_judgement="核心交换机端口故障",
                occurred_at=timezone.localtime(ticket.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            )
            response = client.post(reverse("diagnosis:edit", args=[ticket.number]), data)
            assert response.status_code == 302
            ticket.refresh_from_db()
            assert ticket.preliminary_judgement == "核心交换机端口故障"
            assert published == []  # saving a ticket never touches the broker

            # As if logged five hours ago: the edit above was the (late) first response, and the
            # 4-hour resolution target is now overdue.
            TicketSla.objects.filter(ticket=ticket).update(started_at=F("started_at") - timedelta(hours=5))
            sla.sla_recompute(ticket)

            # The scan runs (a worker that lost its broker mid-way): it records, logs, does not raise.
            # (A worker started by an earlier test leaves the root logger at its own level.)
            caplog.set_level(logging.WARNING, logger="toolkit.tasks")
            caplog.clear()
            started = time.monotonic()
            tasks.sla_scan_task()
            assert time.monotonic() - started < 30
            assert "broker unreachable" in caplog.text
            assert _deliveries(ticket).exists()
            assert set(_deliveries(ticket).values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    finally:
        before_task_publish.disconnect(record)

    # Broker back: the next scan finds the pending deliveries and a worker sends them, once.
    with worker_in_thread(redis_queue):
        tasks.sla_scan_task.delay()
        wait_for(lambda: _all_sent(ticket), message="the missed reminders to be delivered")
    assert len(mail.outbox) == _deliveries(ticket).filter(channel="email").count()
