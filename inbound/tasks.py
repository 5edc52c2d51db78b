"""The periodic poll of the inbound mailbox (CELERY_BEAT_SCHEDULE["inbound-mail"]), on the default queue."""

import logging

from django.core.exceptions import ImproperlyConfigured

from toolkit.celery import app

from . import mailbox, services

logger = logging.getLogger(__name__)


@app.task(ignore_result=True, soft_time_limit=240, time_limit=270)
def fetch_mail_task() -> dict[str, int]:
    """One poll. Does nothing when INBOUND_EMAIL_URL is empty; a server that fails is logged and the
    next poll tries again (unseen mails stay unseen until the database holds them)."""
    if mailbox.configured() is None:
        return {}
    try:
        outcome = services.poll_once()
    except (OSError, mailbox.IMAPError) as error:
        logger.warning(
            "Inbound mail: the mailbox could not be polled (%s); the next poll tries again",
            mailbox.describe(error),
        )
        return {}
    except ImproperlyConfigured as error:  # INBOUND_EMAIL_CA_FILE cannot be loaded (`check` says so too)
        logger.error("Inbound mail: %s", error)
        return {}
    if outcome.taken or outcome.already_taken:
        logger.info(
            "Inbound mail: %s; %d taken before; %d left for the next poll",
            dict(outcome.statuses),
            outcome.already_taken,
            outcome.left,
        )
    return {**outcome.statuses, "already_taken": outcome.already_taken, "left": outcome.left}
