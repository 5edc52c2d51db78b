"""Outbound event webhooks against a real local receiver that checks the signature (tests/hooks/receiver.py).

Events are recorded by the real services (ticket_create, ticket_update, ticket_change_stage, the SLA
scan) in their own transaction; sending is hooks.services.delivery_send, as the worker calls it.
"""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hooks import services
from hooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import ContactFactory, UserFactory
from tests.hooks.receiver import Receiver
from toolkit import notifications, sla
from toolkit import services as core
from toolkit.choices import DeliveryStatus, Priority, ProblemType, Source, Stage

ALL = [
    "ticket.created",
    "ticket.updated",
    "ticket.stage_changed",
    "ticket.priority_changed",
    "ticket.replied",
    "sla.warning",
    "sla.breached",
    "design.decided",
]


@pytest.fixture(autouse=True)
def _hook_settings(settings):
    settings.LANGUAGE_CODE = "en"
    settings.SITE_URL = "https://desk.example.com"
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", first_name="李工", email="owner@example.com", role="engineer")


def _ticket(owner, *, priority=Priority.P1, minutes_ago=10):
    contact = ContactFactory(name="王先生", details="13856785678")
    when = timezone.now() - timedelta(minutes=minutes_ago)
    return core.ticket_create(
        recorded_by=owner,
        owner=owner,
        customer=contact.customer,
        contact=contact,
        contact_details="13856785678",
        source=Source.PHONE,
        occurred_at=when,
        recorded_at=when,
        description="支付系统无法使用,请回电13912345678",
        problem_type=ProblemType.FUNCTIONAL,
        priority=priority,
        suggested_priority=priority,
    )


def _endpoint(url, events=ALL, **fields):
    return WebhookEndpoint.objects.create(name="CRM", url=url, events=list(events), **fields)


def test_a_ticket_event_is_posted_signed_with_the_event_and_delivery_headers(owner):
    with Receiver() as receiver:
        endpoint = _endpoint(receiver.url, events=["ticket.created"])
        receiver.secret = endpoint.secret
        ticket = _ticket(owner)
        [delivery] = WebhookDelivery.objects.all()
        assert delivery.event == "ticket.created" and delivery.status == DeliveryStatus.PENDING
        assert services.delivery_send(delivery.pk) == DeliveryStatus.SENT
    [(headers, body, valid)] = receiver.requests
    assert valid  # the receiver recomputed HMAC-SHA256(secret, "t.body")
    assert headers["X-Toolkit-Event"] == "ticket.created"
    assert headers["X-Delivery-Id"] == str(delivery.delivery_id)
    assert headers["Content-Type"].startswith("application/json")
    document = json.loads(body)
    assert document["event"] == "ticket.created"
    assert document["delivery_id"] == str(delivery.delivery_id)
    assert document["ticket"]["number"] == ticket.number
    assert document["ticket"]["url"] == f"https://desk.example.com{ticket.get_absolute_url()}"
    assert document["ticket"]["priority"] == "P1" and "李工" in document["ticket"]["owner"]
    # Receivers are not users: contact details are always masked, in fields and in free text.
    assert "13856785678" not in body.decode() and "13912345678" not in body.decode()
    assert document["ticket"]["contact_details"] == "138****5678"
    assert "王先生" not in body.decode()
    delivery.refresh_from_db()
    assert delivery.response_code == 200 and delivery.attempts == 1 and delivery.sent_at is not None


def test_a_wrong_secret_is_refused_by_the_receiver_and_not_counted_as_sent(owner):
    with Receiver("not-the-secret") as receiver:
        _endpoint(receiver.url, events=["ticket.created"])
        _ticket(owner)
        delivery = WebhookDelivery.objects.get()
        assert services.delivery_send(delivery.pk) == DeliveryStatus.FAILED  # 401: permanent
    delivery.refresh_from_db()
    assert delivery.response_code == 401 and "HTTP 401" in delivery.last_error
    assert receiver.received == []


def test_the_signature_covers_the_timestamp_and_the_body():
    body = b'{"event": "ticket.created"}'
    header = services.signature_header("s3cret", body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    # The documented recipe: HMAC-SHA256(secret, "<t>.<body>"), hex.
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    fresh = services.signature_header("s3cret", body)
    assert services.signature_valid("s3cret", fresh, body)
    assert not services.signature_valid("s3cret", fresh, body + b" ")
    assert not services.signature_valid("other", fresh, body)
    assert not services.signature_valid("s3cret", header, body)  # too old: a replay


def test_a_retry_after_a_500_delivers_exactly_once_with_the_same_id_and_body(owner):
    with Receiver(statuses=[500]) as receiver:
        endpoint = _endpoint(receiver.url, events=["ticket.created"])
        receiver.secret = endpoint.secret
        _ticket(owner)
        delivery = WebhookDelivery.objects.get()
        assert services.delivery_send(delivery.pk) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.response_code == 500 and delivery.attempts == 1
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)  # backoff
        # Not due yet: a duplicate task message posts nothing.
        assert services.delivery_send(delivery.pk) == DeliveryStatus.PENDING
        assert len(receiver.requests) == 1
        assert services.deliveries_due() == []
        assert services.deliveries_due(now=timezone.now() + timedelta(minutes=2)) == [delivery.pk]
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert services.delivery_send(delivery.pk) == DeliveryStatus.SENT
        # Sent: a re-delivered message, a second worker, the next scan: nothing more is posted.
        assert services.delivery_send(delivery.pk) == DeliveryStatus.SENT
        assert services.deliveries_due(now=timezone.now() + timedelta(days=1)) == []
    assert len(receiver.requests) == 2 and all(valid for _h, _b, valid in receiver.requests)
    assert receiver.received == [str(delivery.delivery_id)]
    assert receiver.ids() == [str(delivery.delivery_id)] * 2
    assert receiver.requests[0][1] == receiver.requests[1][1] == delivery.payload.encode()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.response_code == 200 and delivery.last_error == ""


def test_a_stale_claim_is_taken_over_once_and_a_live_one_is_left_alone(owner):
    with Receiver() as receiver:
        endpoint = _endpoint(receiver.url, events=["ticket.created"])
        receiver.secret = endpoint.secret
        _ticket(owner)
        delivery = WebhookDelivery.objects.get()
        # A worker claimed it a moment ago and is still posting: nobody else sends.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=1
        )
        assert services.delivery_send(delivery.pk) == DeliveryStatus.SENDING
        assert services.deliveries_due() == []
        # That worker died: once the lease has run out the delivery is due and sent once.
        stale = timezone.now() - notifications.lease() - timedelta(seconds=1)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=stale)
        assert services.deliveries_due() == [delivery.pk]
        assert services.delivery_send(delivery.pk) == DeliveryStatus.SENT
        assert services.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert receiver.received == [str(delivery.delivery_id)]


def test_a_client_error_fails_at_once_and_gives_up_after_the_last_backoff(owner):
    with Receiver(statuses=[404]) as receiver:
        endpoint = _endpoint(receiver.url, events=["ticket.created"])
        receiver.secret = endpoint.secret
        _ticket(owner)
        delivery = WebhookDelivery.objects.get()
        assert services.delivery_send(delivery.pk) == DeliveryStatus.FAILED
        assert services.deliveries_due(now=timezone.now() + timedelta(days=1)) == []
    with Receiver(statuses=[503] * 10) as receiver:
        endpoint.url = receiver.url
        endpoint.save()
        receiver.secret = endpoint.secret
        services.deliveries_retry(delivery_ids=[delivery.pk])
        outcomes = []
        for _attempt in range(notifications.MAX_ATTEMPTS):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            outcomes.append(services.delivery_send(delivery.pk))
    assert outcomes == [DeliveryStatus.PENDING] * (notifications.MAX_ATTEMPTS - 1) + [DeliveryStatus.FAILED]
    assert len(receiver.requests) == notifications.MAX_ATTEMPTS


def test_private_and_loopback_addresses_are_refused_unless_the_setting_allows(owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with Receiver() as receiver:
        endpoint = _endpoint(receiver.url, events=["ticket.created"])
        receiver.secret = endpoint.secret
        _ticket(owner)
        delivery = WebhookDelivery.objects.get()
        assert services.delivery_send(delivery.pk) == DeliveryStatus.FAILED
        delivery.refresh_from_db()
        assert "private, loopback" in delivery.last_error
        assert receiver.requests == []
        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
        services.deliveries_retry(delivery_ids=[delivery.pk])
        assert services.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert len(receiver.received) == 1


def test_only_subscribed_active_endpoints_get_an_event_and_a_rollback_records_nothing(owner):
    wanted = _endpoint("https://8.8.8.8/a", events=["ticket.priority_changed"])
    _endpoint("https://8.8.8.8/b", events=["ticket.created"], active=False)
    _endpoint("https://8.8.8.8/c", events=["ticket.stage_changed"])
    ticket = _ticket(owner)
    assert not WebhookDelivery.objects.exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        core.ticket_update(ticket=ticket, by=owner, priority=Priority.P2, priority_override_reason="客户确认")
        assert WebhookDelivery.objects.filter(endpoint=wanted).count() == 1
        raise RuntimeError("the change fails after the event")
    assert not WebhookDelivery.objects.exists()
    ticket.refresh_from_db()
    core.ticket_update(ticket=ticket, by=owner, priority=Priority.P2, priority_override_reason="客户确认")
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.endpoint == wanted and delivery.event == "ticket.priority_changed"
    assert json.loads(delivery.payload)["data"] == {"priority_before": "P1"}


def test_updates_stage_changes_and_sla_reminders_are_events(owner):
    endpoint = _endpoint("https://8.8.8.8/all")
    ticket = _ticket(owner, priority=Priority.P0, minutes_ago=1)
    core.ticket_update(ticket=ticket, by=owner, preliminary_judgement="网络问题")
    core.ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="开始诊断", by=owner)
    # The resolution target's warnings, then its breach, as the scans come.
    for hours in (1, 2, 3, 6, 24, 72):
        sla.sla_scan(now=timezone.now() + timedelta(hours=hours))
    events = list(
        WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("event", "payload")
    )
    names = [name for name, _payload in events]
    assert names[:3] == ["ticket.created", "ticket.updated", "ticket.stage_changed"]
    assert "sla.warning" in names[3:] and "sla.breached" in names[3:]
    by_name = {name: json.loads(payload) for name, payload in events}
    assert by_name["ticket.updated"]["data"] == {"changed": ["preliminary_judgement"]}
    assert by_name["ticket.stage_changed"]["data"]["to_stage"] == Stage.DIAGNOSIS
    assert by_name["ticket.stage_changed"]["ticket"]["stage"] == Stage.DIAGNOSIS
    assert by_name["sla.breached"]["data"]["threshold"] == 100


def test_the_admin_manages_endpoints_and_sees_the_delivery_log(admin_client_role, owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    add = reverse("admin:hooks_webhookendpoint_add")
    form = {"name": "内网", "url": "http://127.0.0.1:15399/x", "events": ["ticket.created"], "active": "on"}
    response = admin_client_role.post(add, form)
    assert response.status_code == 200 and "private, loopback" in response.content.decode()
    form["url"] = "https://8.8.8.8/hook"
    assert admin_client_role.post(add, form).status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["ticket.created"] and len(endpoint.secret) == 64
    page = admin_client_role.get(reverse("admin:hooks_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret in page.content.decode()  # shown to the admin for the receiver
    response = admin_client_role.post(
        reverse("admin:hooks_webhookendpoint_changelist"),
        {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    assert "Test events queued: 1." in response.content.decode()
    test_delivery = WebhookDelivery.objects.get()
    assert test_delivery.event == "webhook.test"
    for _ in range(5):
        _ticket(owner)
    log = reverse("admin:hooks_webhookdelivery_changelist")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = admin_client_role.get(log)
    assert page.status_code == 200 and page.content.decode().count("ticket.created") >= 5
    few = len(queries)
    for _ in range(5):
        _ticket(owner)
    with CaptureQueriesContext(connection) as queries:
        admin_client_role.get(log)
    assert len(queries) == few  # no query per row
    detail = admin_client_role.get(reverse("admin:hooks_webhookdelivery_change", args=[test_delivery.pk]))
    assert detail.status_code == 200 and str(test_delivery.delivery_id) in detail.content.decode()
    assert admin_client_role.post(reverse("admin:hooks_webhookdelivery_add")).status_code == 403


def test_engineers_cannot_open_the_webhook_admin(engineer_client):
    assert engineer_client.get(reverse("admin:hooks_webhookendpoint_changelist")).status_code in (302, 403)


def test_a_ticket_change_asks_the_database_for_endpoints_only_when_the_cache_does_not_know(owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    endpoint = _endpoint("https://8.8.8.8/created", events=["ticket.created"])
    ticket = _ticket(owner)  # reads the endpoints once, and remembers them
    with CaptureQueriesContext(connection) as queries:
        core.ticket_update(ticket=ticket, by=owner, preliminary_judgement="网络问题")
    assert not [q for q in queries if "hooks_webhookendpoint" in q["sql"]]
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1  # ticket.created only
    # A new subscription is seen at once (saving an endpoint clears what the cache knew).
    endpoint.events = ["ticket.created", "ticket.updated"]
    endpoint.save()
    core.ticket_update(ticket=ticket, by=owner, preliminary_judgement="网络问题已排除")
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True)) == [
        "ticket.created",
        "ticket.updated",
    ]


def test_a_customer_visible_reply_is_an_event_with_its_excerpt_masked(owner):
    from conversation import services as conversation

    _endpoint("https://8.8.8.8/replies", events=["ticket.replied"])
    ticket = _ticket(owner)
    conversation.note_add(ticket=ticket, body="内部备注,不外发", by=owner)
    message = conversation.reply_send(
        ticket=ticket, body="您好,已处理。如有问题请拨打13912345678。", by=owner
    )
    [delivery] = WebhookDelivery.objects.all()
    document = json.loads(delivery.payload)
    assert delivery.event == "ticket.replied" and document["data"]["message_id"] == message.pk
    assert "已处理" in document["data"]["excerpt"] and "13912345678" not in delivery.payload


def test_a_design_decision_is_an_event(engineer, manager):
    from solutions import services as solutions
    from tests.solutions.test_approvals import submitted_design

    endpoint = _endpoint("https://8.8.8.8/designs", events=["design.decided"])
    ticket = submitted_design(engineer)
    solutions.design_reject(ticket=ticket, by=manager, comment="成本太高,请联系13912345678再评估")
    [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint)
    document = json.loads(delivery.payload)
    assert document["event"] == "design.decided" and document["ticket"]["number"] == ticket.number
    assert document["data"]["decision"] == "rejected"
    assert "成本太高" in document["data"]["comment"] and "13912345678" not in delivery.payload
