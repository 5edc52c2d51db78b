"""Celery tasks for SLA reminders: one periodic scan, and one delivery per message.

Due times, retries and backoff live in the database (TicketSla.next_check_at, Delivery.next_attempt_at),
never in far-future broker messages: the scan that beat starts every minute finds whatever has come
due, including what was missed while the broker or the workers were down.

Exactly once comes from the database, not from the broker: a reminder is a unique row, a delivery is a
unique row claimed before it is sent, so a scan run twice at once, a task retried, or a message
delivered again after its worker died (acks late) finds the work done or claimed and does nothing.

Messages carry ids only (JSON). Publishing happens after the scan's transaction has committed, and a
broker that cannot be reached is logged, not raised: the rows stay pending for the next scan.

Chat webhook deliveries go to their own queue (settings.OUTBOUND_QUEUE), served by workers of their
own: a robot that hangs holds only those workers, never the scan or e-mail on the default queue. Each
delivery message carries time limits derived from the send deadlines (notifications.send_time_limit).
"""

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from . import chapters, notifications, sla
from .celery import app
from .choices import DeliveryStatus
from .models import Delivery

logger = logging.getLogger(__name__)

SCAN_BATCH_SIZE = 500
# One run stops after this many batches or seconds; the next run (a minute later) goes on from there.
SCAN_MAX_BATCHES = 200
SCAN_TIME_BUDGET_SECONDS = 40
DELIVERIES_DUE_LIMIT = 2000
# A delivery message nobody took within this time is dropped; its row is still pending, so the
# next scan queues it again. Keeps the queue short while workers are down.
DELIVERY_MESSAGE_EXPIRES_SECONDS = 10 * 60


@dataclass
class ScanOutcome:
    reminder_ids: list[int] = field(default_factory=list)
    delivery_ids: list[int] = field(default_factory=list)
    # For inline runs: status → count. For the task: how many were queued.
    statuses: Counter = field(default_factory=Counter)
    queued: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.reminder_ids)} reminders", f"{len(self.delivery_ids)} deliveries"]
        if self.statuses:
            parts.append(", ".join(f"{status} {count}" for status, count in sorted(self.statuses.items())))
        else:
            parts.append(f"{self.queued} queued")
        return "; ".join(parts)


def scan_and_fan_out(*, now=None, batch_size=SCAN_BATCH_SIZE) -> ScanOutcome:
    """Record the reminders that have come due and their deliveries; list every delivery to send now.

    Each batch records its reminders and fans them out in one transaction, so a crash between the
    two leaves neither (the targets are simply scanned again). Deliveries to send are the new ones
    plus the ones due for a retry and the ones whose claim went stale (their worker died).
    """
    now = now or timezone.now()
    outcome = ScanOutcome()
    started = time.monotonic()
    for _batch in range(SCAN_MAX_BATCHES):
        with transaction.atomic():
            new_reminder_ids = sla.sla_scan(now=now, batch_size=batch_size)
            new_delivery_ids = notifications.reminders_fan_out(new_reminder_ids) if new_reminder_ids else []
        outcome.reminder_ids.extend(new_reminder_ids)
        outcome.delivery_ids.extend(new_delivery_ids)
        if not new_reminder_ids or time.monotonic() - started > SCAN_TIME_BUDGET_SECONDS:
            break
    seen = set(outcome.delivery_ids)
    outcome.delivery_ids.extend(
        delivery_id
        for delivery_id in notifications.deliveries_due(now=timezone.now(), limit=DELIVERIES_DUE_LIMIT)
        if delivery_id not in seen
    )
    return outcome


def enqueue_deliveries(delivery_ids) -> int:
    """Queue one deliver_task per id over one broker connection. Returns how many were queued.

    Never raises for a broker that is down: the deliveries stay pending in the database and the
    next scan queues them again.
    """
    queued = 0
    if not delivery_ids:
        return queued
    to_webhooks = notifications.webhook_delivery_ids(delivery_ids)
    limits = {
        "soft_time_limit": notifications.send_time_limit(),
        "time_limit": notifications.task_time_limit(),
        "expires": DELIVERY_MESSAGE_EXPIRES_SECONDS,
    }
    try:
        with deliver_task.app.producer_or_acquire() as producer:
            for delivery_id in delivery_ids:
                # queue=None: the default queue (task_default_queue), like every other task.
                queue = settings.OUTBOUND_QUEUE if delivery_id in to_webhooks else None
                deliver_task.apply_async((delivery_id,), producer=producer, queue=queue, **limits)
                queued += 1
    except (BrokerError, OSError) as error:
        logger.warning(
            # Called by the scan and, after commit, by toolkit.events.notify.
            "Outbound deliveries: broker unreachable, %d of %d deliveries queued; the rest stay pending "
            "for the next scan (%s)",
            queued,
            len(delivery_ids),
            error,
        )
    return queued


def run_sla_scan(*, now=None, inline=False) -> ScanOutcome:
    """The work of one periodic scan. inline=True sends the deliveries here instead of queueing them."""
    outcome = scan_and_fan_out(now=now)
    if inline:
        send_inline(outcome)
    else:
        delivery_ids = list(outcome.delivery_ids)

        def publish():
            outcome.queued = enqueue_deliveries(delivery_ids)

        # Outside a transaction (the worker's case) this runs at once.
        transaction.on_commit(publish)
    if outcome.reminder_ids or outcome.delivery_ids:
        logger.info("SLA scan: %s", outcome.summary())
    run_periodic_scans(now=now)
    return outcome


def send_inline(outcome: ScanOutcome) -> None:
    """Send the scan's deliveries in this process (check_sla): e-mail first, then chat webhooks.

    A webhook that fails once in this run is not tried again in it (its other deliveries stay
    pending for the workers), so a hanging robot costs one deadline per run, not one per message.
    """
    to_webhooks = notifications.webhook_delivery_ids(outcome.delivery_ids)
    ordered = [pk for pk in outcome.delivery_ids if pk not in to_webhooks]
    ordered += [pk for pk in outcome.delivery_ids if pk in to_webhooks]
    endpoints = dict(Delivery.objects.filter(pk__in=list(to_webhooks)).values_list("pk", "recipient"))
    failing = set()
    for delivery_id in ordered:
        endpoint = endpoints.get(delivery_id)
        if endpoint is not None and endpoint in failing:
            outcome.statuses[DeliveryStatus.PENDING] += 1
            continue
        status = notifications.delivery_send(delivery_id)
        outcome.statuses[status] += 1
        if endpoint is not None and status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
            failing.add(endpoint)


def run_periodic_scans(*, now=None) -> dict[str, int]:
    """The scans the chapters registered (toolkit.chapters: overdue tasks, follow-up visits, job
    housekeeping), by dotted name. One failing never stops the others."""
    now = now or timezone.now()
    recorded = {}
    for path, scan in chapters.periodic_scans().items():
        try:
            recorded[path] = scan(now=now)
        except Exception:
            logger.exception("Periodic scan %s failed; it runs again with the next scan", path)
    return recorded


@app.task(ignore_result=True, soft_time_limit=120, time_limit=150)
def sla_scan_task():
    """Periodic (CELERY_BEAT_SCHEDULE["sla-scan"]): reminders that came due, then their deliveries."""
    run_sla_scan()


@app.task(ignore_result=True, soft_time_limit=60, time_limit=90)
def deliver_task(delivery_id: int) -> str:
    """Send one delivery. Claiming in delivery_send makes a duplicate or re-delivered message harmless.

    No Celery retry: a failed attempt sets the delivery's next_attempt_at (backoff) and the scan
    queues it again when that time comes.
    """
    status = notifications.delivery_send(delivery_id)
    logger.info("Delivery %s: %s", delivery_id, status)
    return status
