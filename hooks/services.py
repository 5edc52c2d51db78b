"""Outbound event webhooks: signed JSON, recorded with the change, delivered exactly once with retries.

Recording: ``record_ticket_event`` (connected to toolkit.signals.ticket_event) writes one
WebhookDelivery per active endpoint subscribed to the event, in the transaction of the change that
caused it — a rolled-back change leaves nothing, a committed one cannot lose its deliveries — and
queues them after commit. The body is built then, once: the ticket as it was at that moment, with the
contact's name and details and any free text masked (toolkit.privacy): receivers are not users.

Sending (``delivery_send``) follows the chat reminders' machinery (toolkit.notifications): one
conditional UPDATE claims a delivery (pending and due, or sending with a claim older than the lease:
its worker died); only the claimer posts, through toolkit.webhooks.request (deadlines, no private or
loopback address unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES, no redirects); the outcome is written only
while the claim is still its own. Failures back off as the reminders do (1, 2, 4, 8, 16 minutes, then
failed); a 4xx other than 408/429, or a refused address, fails at once. The periodic task's scan queues
what has come due. A worker killed after the receiver answered but before SENT was written posts the
same body with the same X-Delivery-Id again once the lease runs out — the receiver drops it by id.

Each attempt is signed anew: ``X-Toolkit-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "t.body")>``,
so a receiver can refuse stale timestamps (replays) as well as forged bodies.
"""

import contextlib
import hashlib
import hmac
import json
import logging
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from toolkit import notifications, signals, webhooks
from toolkit.choices import DeliveryStatus
from toolkit.models import Reminder
from toolkit.privacy import mask_contact_details, mask_free_text, mask_person_name

from .models import TEST_EVENT, WebhookDelivery, WebhookEndpoint, new_secret

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Toolkit-Signature"
EVENT_HEADER = "X-Toolkit-Event"
DELIVERY_ID_HEADER = webhooks.DELIVERY_ID_HEADER
LAST_ERROR_MAX = notifications.LAST_ERROR_MAX
DUE_LIMIT = 2000


class EndpointGone(Exception):
    """The endpoint was turned off: retrying cannot help."""

    permanent = True


# ---------------------------------------------------------------- signing


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" under the endpoint's secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def signature_valid(secret: str, header: str, body: bytes, *, tolerance_seconds: int = 300) -> bool:
    """What a receiver does (and the tests' receiver): a v1 that matches, from a recent enough t."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))


# ---------------------------------------------------------------- recording


def ticket_payload(ticket) -> dict:
    """The ticket as receivers see it: no contact detail in the clear, free text masked."""
    return {
        "number": ticket.number,
        "url": notifications.site_url(ticket.get_absolute_url()),
        "stage": ticket.stage,
        "priority": ticket.priority,
        "sla_state": ticket.sla_state,
        "customer": ticket.customer.name,
        "contact": mask_person_name(ticket.contact.name),
        "contact_details": mask_contact_details(ticket.contact_details),
        "owner": ticket.owner.display_name,
        "description": mask_free_text(ticket.description[:500]),
        "occurred_at": ticket.occurred_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def _masked(data: dict) -> dict:
    """The event's own values, free text masked (excerpts, comments)."""
    plain: dict = {}
    for key, value in data.items():
        if value is None or isinstance(value, bool | int | float):
            plain[key] = value
        elif isinstance(value, list | tuple):
            plain[key] = [mask_free_text(str(item)) for item in value]
        else:
            plain[key] = mask_free_text(str(value))
    return plain


def _body(*, event: str, delivery_id, occurred_at, ticket: dict | None, data: dict) -> str:
    document = {
        "event": event,
        "delivery_id": str(delivery_id),
        "occurred_at": occurred_at.isoformat(),
        "ticket": ticket,
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


ENDPOINTS_CACHE_KEY = "hooks:active-endpoints"
ENDPOINTS_CACHE_SECONDS = 60


def _active_subscriptions() -> list[tuple[int, list[str]]]:
    """(pk, events) of the active endpoints, remembered a minute in the cache (cleared when an endpoint
    is saved or deleted), so a ticket change costs no query when nobody listens; a cache that fails
    is passed by."""
    try:
        known = cache.get(ENDPOINTS_CACHE_KEY)
    except Exception:  # the cache (Redis) is down: ask the database
        known = None
    if known is not None:
        return known
    known = [
        (pk, list(events))
        for pk, events in WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
    ]
    with contextlib.suppress(Exception):
        cache.set(ENDPOINTS_CACHE_KEY, known, ENDPOINTS_CACHE_SECONDS)
    return known


def endpoints_changed(**kwargs) -> None:
    """post_save / post_delete of WebhookEndpoint (connected in apps.py)."""
    with contextlib.suppress(Exception):
        cache.delete(ENDPOINTS_CACHE_KEY)


def subscribed_endpoints(event: str) -> list[WebhookEndpoint]:
    """Active endpoints that asked for this event (few rows; the list is matched here, on any database)."""
    wanted = [pk for pk, events in _active_subscriptions() if event in events]
    if not wanted:
        return []
    return list(WebhookEndpoint.objects.filter(pk__in=wanted, active=True).order_by("pk"))


def record_ticket_event(sender=None, *, event: str, ticket, data: dict, **kwargs) -> list[int]:
    """Receiver of toolkit.signals.ticket_event: one delivery per subscribed endpoint, sent after commit."""
    endpoints = subscribed_endpoints(event)
    if not endpoints:
        return []
    now = timezone.now()
    ticket_data = ticket_payload(ticket)
    data = _masked(data)
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint=endpoint, event=event, created_at=now, next_attempt_at=now)
        delivery.payload = _body(
            event=event, delivery_id=delivery.delivery_id, occurred_at=now, ticket=ticket_data, data=data
        )
        deliveries.append(delivery)
    with transaction.atomic():  # a savepoint: a failure here cannot spoil the caller's transaction
        WebhookDelivery.objects.bulk_create(deliveries)
    ids = list(
        WebhookDelivery.objects.filter(delivery_id__in=[d.delivery_id for d in deliveries]).values_list(
            "pk", flat=True
        )
    )
    transaction.on_commit(lambda: enqueue(ids))
    return ids


def record_sla_reminders(sender=None, *, reminder_ids, **kwargs) -> list[int]:
    """Receiver of toolkit.signals.sla_reminders_recorded: ``sla.warning`` / ``sla.breached`` for each
    reminder the scan recorded. Nothing is read while no endpoint wants SLA events."""
    sla_events = {signals.SLA_WARNING, signals.SLA_BREACHED}
    if not any(sla_events & set(events) for _pk, events in _active_subscriptions()):
        return []
    reminders = Reminder.objects.filter(pk__in=list(reminder_ids)).select_related(
        "ticket_sla__ticket__customer", "ticket_sla__ticket__contact", "ticket_sla__ticket__owner"
    )
    recorded = []
    for reminder in reminders.order_by("pk"):
        target = reminder.ticket_sla
        recorded += record_ticket_event(
            event=signals.sla_event(reminder),
            ticket=target.ticket,
            data={
                "target": target.target,
                "threshold": reminder.threshold,
                "repeat": reminder.repeat,
                "due_at": target.due_at.isoformat() if target.due_at else None,
            },
        )
    return recorded


def new_endpoint_secret() -> str:
    return new_secret()


def send_test_event(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """An admin's "send test event": a signed ``webhook.test`` delivery, logged like any other."""
    now = timezone.now()
    delivery = WebhookDelivery(endpoint=endpoint, event=TEST_EVENT, created_at=now, next_attempt_at=now)
    delivery.payload = _body(
        event=TEST_EVENT, delivery_id=delivery.delivery_id, occurred_at=now, ticket=None, data={}
    )
    delivery.save()
    pk = delivery.pk
    transaction.on_commit(lambda: enqueue([pk]))
    return delivery


def enqueue(delivery_ids) -> int:
    """Queue the deliveries on the outbound queue; a broker that is down leaves them for the scan."""
    from . import tasks

    return tasks.enqueue(delivery_ids)


# ---------------------------------------------------------------- sending


def _claimable(now):
    """Pending and due, or sending under a claim that has gone stale (its worker died)."""
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lte=now - notifications.lease()
    )


def _status(pk) -> str:
    return WebhookDelivery.objects.filter(pk=pk).values_list("status", flat=True).first() or ""


def delivery_send(pk: int) -> str:
    """Claim one delivery, post it signed, record the outcome; returns its status afterwards.

    Posts only when this call's claim succeeded; never raises for a failed post (it is recorded).
    """
    claimed_at = timezone.now()
    claimed = WebhookDelivery.objects.filter(_claimable(claimed_at), pk=pk).update(
        status=DeliveryStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return _status(pk)
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=pk)
    mine = WebhookDelivery.objects.filter(pk=pk, status=DeliveryStatus.SENDING, claimed_at=claimed_at)
    endpoint = delivery.endpoint
    body = delivery.payload.encode("utf-8")
    headers = {
        EVENT_HEADER: delivery.event,
        DELIVERY_ID_HEADER: str(delivery.delivery_id),
        SIGNATURE_HEADER: signature_header(endpoint.secret, body),
    }
    try:
        if not endpoint.active:
            raise EndpointGone("the webhook endpoint was turned off")
        status, raw = webhooks.request(endpoint.url, body, headers=headers)
    except (webhooks.WebhookError, EndpointGone) as error:
        return _record_failure(delivery, mine, error, response_code=None)
    except Exception as error:  # any failure of one delivery is recorded, never raised
        logger.exception("Webhook delivery %s: unexpected error", pk)
        return _record_failure(delivery, mine, error, response_code=None)
    if 200 <= status < 300:
        if mine.update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), response_code=status, last_error=""
        ):
            return DeliveryStatus.SENT
        return _status(pk)
    detail = raw[:500].decode("utf-8", "replace")
    permanent = 400 <= status < 500 and status not in webhooks.RETRYABLE_CLIENT_ERRORS
    refused = webhooks.WebhookError(f"HTTP {status}: {detail}".rstrip(": "), permanent=permanent)
    return _record_failure(delivery, mine, refused, response_code=status)


def _record_failure(delivery, mine, error, *, response_code) -> str:
    permanent = getattr(error, "permanent", False)
    message = f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX]
    now = timezone.now()
    if permanent or delivery.attempts >= notifications.MAX_ATTEMPTS:
        status, next_attempt_at = DeliveryStatus.FAILED, now
        logger.error(
            "Webhook delivery %s failed for good after %s attempts: %s",
            delivery.pk,
            delivery.attempts,
            message,
        )
    else:
        status, next_attempt_at = DeliveryStatus.PENDING, now + notifications.BACKOFF[delivery.attempts - 1]
        logger.warning("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, message)
    if mine.update(
        status=status, next_attempt_at=next_attempt_at, last_error=message, response_code=response_code
    ):
        return status
    return _status(delivery.pk)


def deliveries_due(*, now=None, limit: int = DUE_LIMIT) -> list[int]:
    """Pending deliveries whose attempt has come, and stale claims; oldest first, on the due index."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(_claimable(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliveries_due_scan(*, now=None) -> int:
    """The periodic task's share (toolkit.chapters scans): queue what has come due. Returns how many."""
    due = deliveries_due(now=now)
    if due:
        transaction.on_commit(lambda: enqueue(due))
    return len(due)


def deliveries_retry(*, delivery_ids) -> int:
    """An admin's "send again now": failed or waiting deliveries become due at once (attempts start over)."""
    now = timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            pk__in=list(delivery_ids), status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]
        ).values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=0
    )
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return len(ids)
