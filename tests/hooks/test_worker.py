"""A webhook delivery through real Celery worker processes on Redis, the first one killed mid-POST.

The same worker helpers as tests/toolkit/test_worker.py (PostgreSQL and Redis; skipped on SQLite,
failed in CI when Redis is missing). The receiver holds the first request open until its sender dies,
so that attempt never got an answer; the next worker delivers the identical, signed body once.
"""

import json
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory
from tests.hooks.receiver import Receiver
from tests.hooks.test_webhooks import _ticket
from tests.toolkit.test_worker import ON_POSTGRESQL, _start_worker_process, _stop, _wait_until_ready, wait_for
from toolkit import tasks
from toolkit.choices import DeliveryStatus


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: a worker process cannot share SQLite's in-memory test database",
)
def test_a_worker_killed_mid_delivery_delivers_once_after_restart(transactional_db, redis_queue, tmp_path):
    owner = UserFactory(username="owner", role="engineer")
    log_path, mail_dir = tmp_path / "worker.log", tmp_path / "mail"
    mail_dir.mkdir()
    with Receiver(hold_first=True) as receiver:
        endpoint = WebhookEndpoint.objects.create(name="CRM", url=receiver.url, events=["ticket.created"])
        receiver.secret = endpoint.secret
        first = _start_worker_process(redis_queue, log_path, mail_dir)
        try:
            _wait_until_ready(first)
            ticket = _ticket(owner)  # committed: its delivery is queued on the outbound queue
            wait_for(lambda: receiver.requests, timeout=60, message="the first worker to post")
            delivery = WebhookDelivery.objects.get()
            assert delivery.status == DeliveryStatus.SENDING  # claimed, in flight
        finally:
            _stop(first, signal.SIGKILL)  # parent and child die at once
        wait_for(lambda: receiver.aborted, timeout=10, message="the receiver to see the sender hang up")
        # The dead worker's claim outlives its lease (about half a minute with the workers' deadlines).
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            claimed_at=timezone.now() - timedelta(minutes=5)
        )

        second = _start_worker_process(redis_queue, log_path, mail_dir)
        try:
            _wait_until_ready(second)

            def delivered():
                tasks.sla_scan_task.delay()  # the periodic task: its hooks scan queues what is due
                return WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENT).exists()

            wait_for(delivered, timeout=60, interval=2, message="the delivery after the restart")
            time.sleep(6)  # past the visibility timeout: Redis hands the killed task back, harmlessly
            tasks.sla_scan_task.delay()
            time.sleep(2)
        finally:
            _stop(second)
    log = log_path.read_text(errors="replace")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2, log
    assert receiver.received == [str(delivery.delivery_id)], log
    assert receiver.ids() == [str(delivery.delivery_id)] * 2, log
    [(_h1, first_body, first_valid), (_h2, second_body, second_valid)] = receiver.requests
    assert first_valid and second_valid
    assert first_body == second_body == delivery.payload.encode()
    assert json.loads(second_body)["ticket"]["number"] == ticket.number
