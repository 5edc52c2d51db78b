"""The outbound webhooks' Celery task: one delivery per message, on the outbound queue (like chat robots)."""

import logging

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError

from toolkit import notifications
from toolkit.celery import app
from toolkit.tasks import DELIVERY_MESSAGE_EXPIRES_SECONDS

logger = logging.getLogger(__name__)


@app.task(ignore_result=True, soft_time_limit=60, time_limit=90)
def deliver_hook_task(delivery_id: int) -> str:
    """Send one webhook delivery. The claim makes a duplicate or re-delivered message harmless; a failed
    attempt sets next_attempt_at and the periodic scan queues it again (no Celery retry)."""
    from . import services

    status = services.delivery_send(delivery_id)
    logger.info("Webhook delivery %s: %s", delivery_id, status)
    return status


def enqueue(delivery_ids) -> int:
    """One message per id over one broker connection; never raises for a broker that is down."""
    queued = 0
    if not delivery_ids:
        return queued
    limits = {
        "soft_time_limit": notifications.send_time_limit(),
        "time_limit": notifications.task_time_limit(),
        "expires": DELIVERY_MESSAGE_EXPIRES_SECONDS,
        "queue": settings.OUTBOUND_QUEUE,
    }
    try:
        with deliver_hook_task.app.producer_or_acquire() as producer:
            for delivery_id in delivery_ids:
                deliver_hook_task.apply_async((delivery_id,), producer=producer, **limits)
                queued += 1
    except (BrokerError, OSError) as error:
        logger.warning(
            "Webhook deliveries: broker unreachable, %d of %d queued; the rest wait for the next scan (%s)",
            queued,
            len(delivery_ids),
            error,
        )
    return queued
