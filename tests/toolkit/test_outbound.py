"""Outgoing deliveries that must not hurt anyone else: deadlines, the circuit breaker, permanent
errors told to admins, identical retries, and refused private addresses.

Every robot is a real HTTP server on 127.0.0.1 (ports 18500–18599, tests/toolkit/servers.py) in a
thread of this test. Worker-level behaviour (queues, a SIGKILLed worker) is in test_worker.py.
"""

import socket
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import ContactFactory, CustomerFactory, TicketFactory, UserFactory
from tests.toolkit.servers import Robot
from toolkit import notifications, services, webhooks
from toolkit.choices import (
    Channel,
    DeliveryStatus,
    NotificationLevel,
    Priority,
    ProblemType,
    SlaClock,
    SlaTargetKind,
    Source,
    WebhookKind,
)
from toolkit.models import ChatWebhook, Delivery, Notification, Reminder, TicketSla


@pytest.fixture(autouse=True)
def _outbound_settings(settings):
    settings.LANGUAGE_CODE = "en"
    settings.SITE_URL = "https://desk.example.com"
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the robots listen on 127.0.0.1
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_CIRCUIT_FAILURES = 3
    settings.WEBHOOK_CIRCUIT_COOL_OFF_SECONDS = 60


@pytest.fixture
def owner(db):
    boss = UserFactory(username="boss", email="boss@example.com", role="manager")
    return UserFactory(
        username="owner", first_name="李工", email="owner@example.com", role="engineer", manager=boss
    )


def _reminders(owner, count):
    """`count` breach reminders of P0 tickets owned by `owner`."""
    reminders = []
    for _ in range(count):
        ticket = TicketFactory(owner=owner, recorded_by=owner, priority="P0", customer=CustomerFactory())
        due = timezone.now() - timedelta(minutes=30)
        sla = TicketSla.objects.create(
            ticket=ticket,
            target=SlaTargetKind.RESPONSE,
            started_at=due - timedelta(minutes=15),
            target_minutes=15,
            clock=SlaClock.ALWAYS,
            due_at=due,
        )
        reminders.append(Reminder.objects.create(ticket_sla=sla, threshold=100, created_at=timezone.now()))
    return reminders


def _webhook_deliveries(robot, owner, count, kind=WebhookKind.WECOM):
    webhook = ChatWebhook.objects.create(name="值班群", kind=kind, url=robot.url)
    for reminder in _reminders(owner, count):
        notifications.reminder_fan_out(reminder.pk)
    deliveries = list(Delivery.objects.filter(channel=Channel.WEBHOOK).order_by("pk"))
    return webhook, deliveries


# ---------------------------------------------------------------- deadlines


@pytest.mark.parametrize("mode", ["hang", "trickle_headers", "trickle_body"])
def test_a_robot_that_hangs_or_trickles_is_cut_off_at_the_total_deadline(mode):
    # A socket timeout bounds each read; a server sending one byte every 0.1 s never trips it. The
    # total deadline (1 s here) must cut the request off however the bytes arrive.
    with Robot(mode=mode, trickle_interval=0.1, trickle_seconds=15) as robot:
        started = time.monotonic()
        with pytest.raises(webhooks.WebhookError, match="no complete answer .* within 1") as raised:
            webhooks.post(WebhookKind.WECOM, robot.url, {"msgtype": "text"})
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"took {elapsed:.1f} s"
    assert not raised.value.permanent  # a slow robot may be fine later: retried
    assert len(robot.received) == 1


def test_check_sla_by_hand_does_not_hang_on_a_slow_robot(owner):
    """Several reminders to a robot that never answers: mail goes first, the robot costs one deadline."""
    for _ in range(3):
        contact = ContactFactory()
        when = timezone.now() - timedelta(hours=1)
        services.ticket_create(
            recorded_by=owner,
            owner=owner,
            customer=contact.customer,
            contact=contact,
            source=Source.PHONE,
            occurred_at=when,
            recorded_at=when,
            description="支付系统无法使用",
            problem_type=ProblemType.FUNCTIONAL,
            priority=Priority.P0,
            suggested_priority=Priority.P0,
        )
    with Robot(mode="hang") as robot:
        ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url=robot.url)
        started = time.monotonic()
        call_command("check_sla", stdout=StringIO())
        elapsed = time.monotonic() - started
    webhook_deliveries = Delivery.objects.filter(channel=Channel.WEBHOOK)
    assert webhook_deliveries.count() >= 3
    assert elapsed < 6, f"check_sla took {elapsed:.1f} s"
    assert len(robot.received) == 1  # one try per run; the rest wait for the workers
    emails = Delivery.objects.filter(channel=Channel.EMAIL)
    assert set(emails.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(mail.outbox) == emails.count()
    assert set(webhook_deliveries.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


def test_the_claim_lease_is_derived_from_the_send_deadline(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    settings.EMAIL_TIMEOUT = 1
    assert notifications.send_time_limit() > 10
    assert notifications.task_time_limit() > notifications.send_time_limit()
    assert notifications.lease().total_seconds() > notifications.task_time_limit()
    short = notifications.lease()
    settings.WEBHOOK_TIMEOUT_SECONDS = 120
    assert notifications.lease() - short == timedelta(seconds=110)


# ---------------------------------------------------------------- circuit breaker


def test_the_circuit_opens_after_failures_in_a_row_and_closes_after_the_cool_off(owner, admin_user, settings):
    with Robot(status=500, body=b"upstream down") as robot:
        webhook, deliveries = _webhook_deliveries(robot, owner, 5)
        first, second, third, fourth, fifth = deliveries
        for delivery in (first, second, third):
            assert notifications.delivery_send(delivery.pk) == DeliveryStatus.PENDING
        webhook.refresh_from_db()
        assert webhook.consecutive_failures == 3 and webhook.circuit_open_until > timezone.now()

        # Open: the next delivery waits for the webhook without a request and without using an attempt.
        assert notifications.delivery_send(fourth.pk) == DeliveryStatus.PENDING
        assert len(robot.received) == 3
        fourth.refresh_from_db()
        assert fourth.attempts == 0 and fourth.next_attempt_at == webhook.circuit_open_until
        assert "paused" in fourth.last_error
        # Admins were told once for this run of failures.
        alerts = Notification.objects.filter(level=NotificationLevel.FAILURE)
        assert [(alert.user, alert.ticket) for alert in alerts] == [(admin_user, None)]
        assert "值班群" in alerts[0].message
        # The admin list shows it paused.
        assert not notifications.outbound_health().ok

        # The cool-off passes and the robot works again: one delivery tries, succeeds, and closes it.
        robot.answer()
        ChatWebhook.objects.filter(pk=webhook.pk).update(
            circuit_open_until=timezone.now() - timedelta(seconds=1)
        )
        Delivery.objects.filter(pk=fourth.pk).update(next_attempt_at=timezone.now())
        assert notifications.delivery_send(fourth.pk) == DeliveryStatus.SENT
        webhook.refresh_from_db()
        assert webhook.consecutive_failures == 0
        assert webhook.circuit_open_until is None and webhook.admins_alerted_at is None
        # The deliveries that backed off behind the failures are due again at once.
        backed_off = Delivery.objects.filter(pk__in=[first.pk, second.pk, third.pk])
        assert not backed_off.filter(next_attempt_at__gt=timezone.now()).exists()
        for delivery in (first, second, third, fifth):
            assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert Notification.objects.filter(level=NotificationLevel.FAILURE).count() == 1


def test_after_the_cool_off_only_one_delivery_tries_while_the_circuit_is_half_open(owner, db):
    with Robot(status=500, body=b"down") as robot:
        webhook, deliveries = _webhook_deliveries(robot, owner, 3)
        ChatWebhook.objects.filter(pk=webhook.pk).update(
            consecutive_failures=3, circuit_open_until=timezone.now() - timedelta(seconds=1)
        )
        assert notifications.delivery_send(deliveries[0].pk) == DeliveryStatus.PENDING  # the trial, fails
        assert len(robot.received) == 1
        webhook.refresh_from_db()
        assert webhook.circuit_open_until > timezone.now() + timedelta(seconds=50)  # paused again
        assert notifications.delivery_send(deliveries[1].pk) == DeliveryStatus.PENDING
        assert len(robot.received) == 1


def test_an_admin_resumes_a_paused_webhook(owner, admin_client_role):
    with Robot() as robot:
        webhook, [delivery] = _webhook_deliveries(robot, owner, 1)
        later = timezone.now() + timedelta(minutes=5)
        ChatWebhook.objects.filter(pk=webhook.pk).update(consecutive_failures=9, circuit_open_until=later)
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=later)
        page = admin_client_role.get(reverse("admin:toolkit_chatwebhook_changelist")).content.decode()
        assert "paused until" in page
        response = admin_client_role.post(
            reverse("admin:toolkit_chatwebhook_changelist"),
            {"action": "resume", "_selected_action": [webhook.pk]},
            follow=True,
        )
        assert "Webhooks resumed: 1." in response.content.decode()
        assert delivery.pk in notifications.deliveries_due()
        assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT


# ---------------------------------------------------------------- permanent errors, admins told


def test_a_permanent_robot_error_stops_retries_and_tells_admins_once(owner, admin_user, client):
    other_admin = UserFactory(username="root2", role="admin")
    engineer = UserFactory(username="eng", role="engineer")
    with Robot(body={"errcode": 93000, "errmsg": "invalid webhook url"}) as robot:
        webhook, deliveries = _webhook_deliveries(robot, owner, 3)
        assert notifications.delivery_send(deliveries[0].pk) == DeliveryStatus.FAILED
        # The webhook is paused at once: the others wait instead of each hitting the same wall.
        assert notifications.delivery_send(deliveries[1].pk) == DeliveryStatus.PENDING
        assert notifications.delivery_send(deliveries[2].pk) == DeliveryStatus.PENDING
    assert len(robot.received) == 1
    first = Delivery.objects.get(pk=deliveries[0].pk)
    assert first.attempts == 1 and "errcode 93000" in first.last_error

    alerts = Notification.objects.filter(level=NotificationLevel.FAILURE)
    assert sorted(alert.user.username for alert in alerts) == sorted(
        [admin_user.username, other_admin.username]
    )
    assert not Notification.objects.filter(user=engineer).exists()
    assert "errcode 93000" in alerts[0].message and "robot-secret" not in alerts[0].message

    health = notifications.outbound_health()
    assert health.failed_recently == 1 and health.paused_webhooks == ["值班群"] and not health.ok

    # The admin's dashboard shows it; the bell notification opens the webhook's admin page.
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert 'id="failed-deliveries"' in page and 'id="paused-webhooks"' in page
    alert = alerts.get(user=admin_user)
    response = client.post(reverse("notification_open", args=[alert.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:toolkit_chatwebhook_change", args=[webhook.pk])
    assert "值班群" in client.get(reverse("notifications")).content.decode()
    # Engineers' dashboards do not show it.
    client.force_login(engineer)
    assert 'id="outbound-problems"' not in client.get("/").content.decode()


# ---------------------------------------------------------------- identical retries


def test_a_retry_posts_the_identical_body_with_the_same_delivery_id(owner):
    with Robot(status=500, body=b"down") as robot:
        _webhook, [delivery] = _webhook_deliveries(robot, owner, 1)
        assert notifications.delivery_send(delivery.pk) == DeliveryStatus.PENDING
        # What the message would say changes before the retry (the owner is renamed, the team's
        # language changes): the chat must still get the same message again, not a second version.
        owner.first_name = "王工"
        owner.save()
        with translation.override("zh-hans"):
            Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            robot.answer()
            assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    [(_, first_headers, first_body), (_, second_headers, second_body)] = robot.received
    assert first_body == second_body and "李工" in first_body.decode()
    assert first_headers["X-Delivery-Id"] == second_headers["X-Delivery-Id"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.payload.encode() == first_body


# ---------------------------------------------------------------- private addresses (issue 11)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("fe80::1", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address to refuse, not one to bind
        ("100.64.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_which_addresses_a_webhook_may_reach(settings, address, allowed):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    assert webhooks.address_allowed(address) is allowed
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert webhooks.address_allowed(address) is True


def test_a_webhook_to_loopback_is_refused_at_send_unless_allowed(owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with Robot() as robot:
        localhost_url = robot.url.replace("127.0.0.1", "localhost")
        for url in (robot.url, localhost_url):
            with pytest.raises(webhooks.WebhookError, match="private, loopback") as raised:
                webhooks.post(WebhookKind.WECOM, url, {"msgtype": "text"})
            assert raised.value.permanent
        _webhook, [delivery] = _webhook_deliveries(robot, owner, 1)
        assert notifications.delivery_send(delivery.pk) == DeliveryStatus.FAILED
        assert robot.received == []

        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
        assert webhooks.post(WebhookKind.WECOM, robot.url, {"msgtype": "text"}) == {
            "errcode": 0,
            "errmsg": "ok",
        }
    assert len(robot.received) == 1


def test_the_host_is_looked_up_once_and_the_checked_address_is_the_one_connected(monkeypatch):
    # DNS rebinding: a second lookup by the HTTP client could return another (private) address.
    # post() resolves once, checks, and connects to what it checked.
    lookups = []
    real = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        lookups.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    with Robot() as robot:
        webhooks.post(WebhookKind.WECOM, robot.url.replace("127.0.0.1", "localhost"), {"msgtype": "text"})
    assert lookups == ["localhost"]
    [(_path, headers, _body)] = robot.received
    assert headers["Host"] == f"localhost:{robot.port}"


def test_the_admin_form_refuses_a_private_address_with_a_translated_error(admin_client_role, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    form = {"name": "内网", "kind": WebhookKind.WECOM, "url": "http://127.0.0.1:18599/hook", "active": "on"}
    add = reverse("admin:toolkit_chatwebhook_add")
    response = admin_client_role.post(add, form)
    assert response.status_code == 200
    assert "private, loopback, link-local or multicast" in response.content.decode()
    admin_client_role.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "内网地址" in admin_client_role.post(add, form).content.decode()
    admin_client_role.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert not ChatWebhook.objects.exists()

    public = {**form, "url": "https://8.8.8.8/cgi-bin/webhook/send?key=x"}
    assert admin_client_role.post(add, public).status_code == 302
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert admin_client_role.post(add, form).status_code == 302
    assert ChatWebhook.objects.count() == 2
