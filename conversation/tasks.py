"""Celery task for replies: one mail per message, on the outbound queue (services.replies_enqueue)."""

import logging

from toolkit.celery import app

from . import services

logger = logging.getLogger(__name__)


@app.task(ignore_result=True)
def reply_email_task(message_pk: int) -> str:
    """Mail one reply. The claim in reply_email_send makes a duplicate or re-delivered message harmless.

    No Celery retry: a failed attempt sets next_attempt_at (backoff) and the periodic scan queues it
    again when that time comes. Time limits come with each message (services.replies_enqueue).
    """
    status = services.reply_email_send(message_pk)
    logger.info("Reply %s: %s", message_pk, status)
    return status
