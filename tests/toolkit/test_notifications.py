"""Reminders to people: fan-out, exactly-once sending with retries, the admin's view, and the bell."""

import smtplib
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import CustomerFactory, TicketFactory, UserFactory
from toolkit import notifications
from toolkit.choices import Channel, DeliveryStatus, SlaClock, SlaState, SlaTargetKind, WebhookKind
from toolkit.models import ChatWebhook, Delivery, Notification, Reminder, TicketSla

SITE = "https://desk.example.com"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE + "/"


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", first_name="张经理", job_title="", email="boss@example.com")


@pytest.fixture
def owner(db, boss):
    return UserFactory(
        username="owner",
        first_name="李工",
        job_title="",
        email="li@example.com",
        manager=boss,
        role="engineer",
    )


def make_reminder(owner, *, threshold=100, repeat=0, late_minutes=15, target_minutes=15, priority="P0"):
    """A P0 first-response target of 15 minutes and one reminder at `threshold`.

    A breach reminder is made `late_minutes` after the due time; a warning when `threshold`% is used.
    """
    ticket = TicketFactory(
        owner=owner, recorded_by=owner, priority=priority, customer=CustomerFactory(name="TSA公司")
    )
    started = timezone.now() - timedelta(hours=1)
    due = started + timedelta(minutes=target_minutes)
    sla = TicketSla.objects.create(
        ticket=ticket,
        target=SlaTargetKind.RESPONSE,
        started_at=started,
        target_minutes=target_minutes,
        clock=SlaClock.ALWAYS,
        warn50_at=started + timedelta(minutes=target_minutes * 0.5),
        warn80_at=started + timedelta(minutes=target_minutes * 0.8),
        due_at=due,
    )
    if threshold >= 100:
        created = due + timedelta(minutes=late_minutes)
    else:
        created = started + timedelta(minutes=target_minutes * threshold / 100)
    return Reminder.objects.create(ticket_sla=sla, threshold=threshold, repeat=repeat, created_at=created)


def _webhook(**kwargs):
    values = {"name": "值班群", "kind": WebhookKind.WECOM, "url": "http://127.0.0.1:9/hook"} | kwargs
    return ChatWebhook.objects.create(**values)


def _email_delivery(reminder, address):
    return Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL, recipient=address)


# ---------------------------------------------------------------- texts


def test_minutes_read_as_minutes_hours_and_days(english):
    assert [notifications.format_minutes(m) for m in (0, 15, 60, 125, 1440, 1530)] == [
        "0 min",
        "15 min",
        "1 h",
        "2 h 5 min",
        "1 d",
        "1 d 1 h",
    ]


def test_breach_and_warning_texts(owner, english):
    breach = make_reminder(owner, threshold=100, late_minutes=15)
    number = breach.ticket_sla.ticket.number
    text = notifications.reminder_text(breach)
    assert text.line == f"[P0 breached] {number} TSA公司: First response overdue by 15 min"
    assert text.title == "SLA breach"
    assert text.link == f"{SITE}/diagnosis/{number}/"
    assert "Escalated to: 张经理" in text.details

    warning = make_reminder(owner, threshold=80)
    text = notifications.reminder_text(warning)
    assert text.line == (
        f"[P0 80%] {warning.ticket_sla.ticket.number} TSA公司: First response 80% used, 3 min left"
    )
    assert not any(line.startswith("Escalated") for line in text.details)


def test_first_breach_reminder_at_the_due_time_says_overdue_without_a_duration(owner, english):
    reminder = make_reminder(owner, threshold=100, late_minutes=0)
    assert notifications.reminder_text(reminder).line.endswith(": First response overdue")


# ---------------------------------------------------------------- fan-out


def test_warning_goes_to_the_owner_by_app_email_and_each_active_webhook(owner, boss):
    wecom = _webhook()
    _webhook(name="停用", active=False)
    reminder = make_reminder(owner, threshold=80)

    ids = notifications.reminder_fan_out(reminder.pk)

    notification = Notification.objects.get()
    assert (notification.user, notification.ticket, notification.reminder) == (
        owner,
        reminder.ticket_sla.ticket,
        reminder,
    )
    assert notification.level == SlaState.AT_RISK and notification.read_at is None
    deliveries = Delivery.objects.filter(reminder=reminder).order_by("pk")
    assert [(d.channel, d.recipient, d.status) for d in deliveries] == [
        (Channel.EMAIL, "li@example.com", DeliveryStatus.PENDING),
        (Channel.WEBHOOK, str(wecom.pk), DeliveryStatus.PENDING),
    ]
    assert ids == [d.pk for d in deliveries]


def test_breach_escalates_to_the_owners_manager(owner, boss, english):
    reminder = make_reminder(owner, threshold=100)

    notifications.reminder_fan_out(reminder.pk)

    by_user = {n.user: n for n in Notification.objects.all()}
    assert set(by_user) == {owner, boss}
    assert {n.level for n in by_user.values()} == {SlaState.BREACHED}
    assert by_user[boss].message.endswith("(escalated: owner 李工)")
    assert "escalated" not in by_user[owner].message
    assert set(Delivery.objects.values_list("channel", "recipient")) == {
        (Channel.EMAIL, "li@example.com"),
        (Channel.EMAIL, "boss@example.com"),
    }


def test_fan_out_twice_creates_nothing_new(owner, boss):
    _webhook()
    reminder = make_reminder(owner, threshold=100)
    first = notifications.reminder_fan_out(reminder.pk)
    Notification.objects.filter(user=owner).update(read_at=timezone.now())
    before = (Notification.objects.count(), Delivery.objects.count())

    second = notifications.reminder_fan_out(reminder.pk)

    assert (Notification.objects.count(), Delivery.objects.count()) == before == (2, 3)
    assert second == first
    assert Notification.objects.get(user=owner).read_at is not None  # untouched
    # Only what is still pending comes back.
    notifications.delivery_send(first[0])
    assert notifications.reminder_fan_out(reminder.pk) == first[1:]


def test_nobody_to_email_and_no_manager_means_the_bell_only(db):
    loner = UserFactory(username="loner", email="")
    reminder = make_reminder(loner, threshold=100)
    assert notifications.reminder_fan_out(reminder.pk) == []
    assert Notification.objects.filter(user=loner).count() == 1
    assert not Delivery.objects.exists()


def test_an_inactive_manager_is_not_escalated_to(owner, boss):
    boss.is_active = False
    boss.save()
    notifications.reminder_fan_out(make_reminder(owner, threshold=100).pk)
    assert list(Notification.objects.values_list("user", flat=True)) == [owner.pk]


def test_a_reminder_that_is_gone_fans_out_to_nothing(db):
    assert notifications.reminder_fan_out(987654) == []


# ---------------------------------------------------------------- sending


def test_an_email_is_sent_once_even_when_sending_is_called_twice(owner, boss, english):
    reminder = make_reminder(owner, threshold=100)
    notifications.reminder_fan_out(reminder.pk)
    delivery = _email_delivery(reminder, "boss@example.com")

    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    number = reminder.ticket_sla.ticket.number
    assert message.to == ["boss@example.com"]
    assert message.subject == f"[P0 breached] {number} TSA公司: First response overdue by 15 min"
    assert f"{SITE}/diagnosis/{number}/" in message.body
    assert "Owner: 李工" in message.body
    assert "You receive this as the manager of 李工." in message.body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert delivery.sent_at is not None and delivery.last_error == ""


def test_texts_are_in_the_teams_language_without_a_request(owner):
    """settings.LANGUAGE_CODE (zh-hans here) decides, not whatever language happens to be active."""
    reminder = make_reminder(owner, threshold=80)
    notifications.reminder_fan_out(reminder.pk)
    with translation.override("zh-hans"):
        expected = notifications.reminder_text(reminder).line
    with translation.override("en"):
        notifications.delivery_send(_email_delivery(reminder, "li@example.com").pk)
    assert mail.outbox[0].subject == expected
    assert Notification.objects.get().message == expected


def test_a_delivery_not_yet_due_is_left_alone(owner):
    reminder = make_reminder(owner, threshold=80)
    notifications.reminder_fan_out(reminder.pk)
    delivery = _email_delivery(reminder, "li@example.com")
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=1))

    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.PENDING
    assert mail.outbox == []
    assert notifications.delivery_send(123456789) == ""


def _failing_smtp(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(notifications, "send_mail", refuse)
    return calls


def test_failures_back_off_then_fail_for_good_with_the_last_error(owner, monkeypatch):
    calls = _failing_smtp(monkeypatch)
    reminder = make_reminder(owner, threshold=80)
    notifications.reminder_fan_out(reminder.pk)
    delivery = _email_delivery(reminder, "li@example.com")

    waits = []
    for attempt in range(1, notifications.MAX_ATTEMPTS):
        before = timezone.now()
        assert notifications.delivery_send(delivery.pk) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert "SMTPServerDisconnected: Connection unexpectedly closed" in delivery.last_error
        waits.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
        # Not due yet: nothing happens until the backoff has passed.
        assert notifications.delivery_send(delivery.pk) == DeliveryStatus.PENDING
        assert len(calls) == attempt
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert waits == [1, 2, 4, 8, 16]

    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 6)
    assert "Connection unexpectedly closed" in delivery.last_error
    # Failed is final: no more attempts, not listed as due.
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.FAILED
    assert len(calls) == 6
    assert delivery.pk not in notifications.deliveries_due()


def test_a_deleted_webhook_fails_at_once(owner):
    webhook = _webhook()
    reminder = make_reminder(owner, threshold=80)
    notifications.reminder_fan_out(reminder.pk)
    webhook.delete()
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "deleted" in delivery.last_error and delivery.attempts == 1


def test_a_stale_claim_is_sent_again_and_a_fresh_one_is_not(owner):
    """A worker that died mid-send leaves SENDING; after the lease another worker sends it."""
    reminder = make_reminder(owner, threshold=80)
    notifications.reminder_fan_out(reminder.pk)
    delivery = _email_delivery(reminder, "li@example.com")
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=now - timedelta(minutes=1), attempts=1
    )
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENDING  # someone is on it
    assert mail.outbox == []

    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=now - notifications.lease() - timedelta(seconds=1)
    )
    assert notifications.deliveries_due() == [delivery.pk]
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_deliveries_due_lists_due_and_stale_ones_in_one_query(owner, django_assert_num_queries):
    reminder = make_reminder(owner, threshold=80)
    now = timezone.now()
    rows = {
        name: Delivery.objects.create(
            reminder=reminder, channel=Channel.EMAIL, recipient=f"{name}@x.cn", **fields
        )
        for name, fields in {
            "due": {"next_attempt_at": now - timedelta(minutes=2)},
            "due_now": {"next_attempt_at": now},
            "later": {"next_attempt_at": now + timedelta(minutes=1)},
            "sent": {"status": DeliveryStatus.SENT},
            "failed": {"status": DeliveryStatus.FAILED},
            "in_flight": {"status": DeliveryStatus.SENDING, "claimed_at": now - timedelta(minutes=1)},
            "stale": {"status": DeliveryStatus.SENDING, "claimed_at": now - timedelta(minutes=6)},
        }.items()
    }
    with django_assert_num_queries(1):
        due = notifications.deliveries_due(now=now)
    assert set(due) == {rows["due"].pk, rows["due_now"].pk, rows["stale"].pk}
    assert len(notifications.deliveries_due(now=now, limit=2)) == 2


# ---------------------------------------------------------------- two workers at once (PostgreSQL)


def _at_once(count, work):
    """Run work() in `count` threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_two_workers_at_once_fan_out_and_send_once(transactional_db, monkeypatch):
    owner = UserFactory(
        username="owner", email="li@example.com", manager=UserFactory(email="boss@example.com")
    )
    reminder = make_reminder(owner, threshold=100)

    fanned = _at_once(4, lambda: notifications.reminder_fan_out(reminder.pk))
    assert Notification.objects.count() == 2 and Delivery.objects.count() == 2
    assert all(sorted(ids) == sorted(fanned[0]) for ids in fanned)

    real_send_mail = notifications.send_mail

    def slow_send_mail(*args, **kwargs):
        time.sleep(0.3)  # a slow mail server: the other workers arrive while this one sends
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(notifications, "send_mail", slow_send_mail)
    delivery = _email_delivery(reminder, "li@example.com")
    statuses = _at_once(4, lambda: notifications.delivery_send(delivery.pk))

    assert statuses.count(DeliveryStatus.SENT) >= 1
    assert set(statuses) <= {DeliveryStatus.SENT, DeliveryStatus.SENDING}
    assert [m.to for m in mail.outbox] == [["li@example.com"]]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)


# ---------------------------------------------------------------- admin


def _failed_delivery(owner):
    reminder = make_reminder(owner, threshold=100)
    return Delivery.objects.create(
        reminder=reminder,
        channel=Channel.WEBHOOK,
        recipient="7",
        status=DeliveryStatus.FAILED,
        attempts=6,
        last_error="WebhookError: errcode 310000: keywords not in content",
    )


def test_admins_see_failed_deliveries_and_can_retry_them(admin_client_role, owner):
    failed = _failed_delivery(owner)
    sent = Delivery.objects.create(
        reminder=failed.reminder,
        channel=Channel.EMAIL,
        recipient="ok@example.com",
        status=DeliveryStatus.SENT,
    )
    url = reverse("admin:toolkit_delivery_changelist")

    page = admin_client_role.get(url, {"status__exact": DeliveryStatus.FAILED}).content.decode()
    assert "errcode 310000: keywords not in content" in page
    assert failed.reminder.ticket_sla.ticket.number in page
    assert "ok@example.com" not in page

    response = admin_client_role.post(url, {"action": "retry", "_selected_action": [failed.pk, sent.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 0)
    assert failed.next_attempt_at <= timezone.now()
    assert sent.status == DeliveryStatus.SENT
    assert failed.pk in notifications.deliveries_due()


def test_engineers_cannot_open_the_delivery_admin(engineer_client, owner):
    _failed_delivery(owner)
    response = engineer_client.get(reverse("admin:toolkit_delivery_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_webhook_and_notification_admin_pages_open(admin_client_role, owner):
    _webhook(url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY")
    page = admin_client_role.get(reverse("admin:toolkit_chatwebhook_changelist")).content.decode()
    assert "值班群" in page and "SECRET-KEY" not in page


# ---------------------------------------------------------------- the bell and the notifications page


def _notify(user, count, *, read=0, message="提醒"):
    ticket = TicketFactory(owner=user, recorded_by=user)
    made = [
        Notification.objects.create(user=user, ticket=ticket, level=SlaState.AT_RISK, message=f"{message}{i}")
        for i in range(count)
    ]
    for notification in made[:read]:
        notification.read_at = timezone.now()
        notification.save()
    return made


def test_the_bell_shows_the_unread_count(engineer_client, engineer):
    _notify(engineer, 4, read=1)
    _notify(UserFactory(), 5)  # someone else's
    response = engineer_client.get(reverse("diagnosis:list"))
    page = response.content.decode()
    assert response.context["unread_notifications"] == 3
    assert 'id="notification-count"' in page
    assert ">3</span>" in page
    assert f'href="{reverse("notifications")}"' in page


def test_no_badge_without_unread_notifications(engineer_client, engineer):
    _notify(engineer, 1, read=1)
    page = engineer_client.get(reverse("notifications")).content.decode()
    assert 'id="notification-bell"' in page and 'id="notification-count"' not in page


def test_the_page_lists_only_my_notifications_newest_first(engineer_client, engineer):
    older = _notify(engineer, 1, message="旧的")[0]
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    _notify(engineer, 2, read=1, message="我的")
    _notify(UserFactory(), 1, message="别人的")

    page = engineer_client.get(reverse("notifications")).content.decode()

    assert "别人的" not in page
    assert page.index("我的0") < page.index("旧的0")
    assert page.count("data-unread") == 2  # 我的1 and 旧的0
    unread_page = engineer_client.get(reverse("notifications"), {"unread": "1"}).content.decode()
    assert "我的0" not in unread_page and "我的1" in unread_page


def test_the_page_is_paginated(engineer_client, engineer):
    _notify(engineer, 30)
    first = engineer_client.get(reverse("notifications")).content.decode()
    second = engineer_client.get(reverse("notifications"), {"page": 2}).content.decode()
    assert first.count("data-notification=") == 25 and second.count("data-notification=") == 5


def test_opening_a_notification_marks_it_read_and_goes_to_the_ticket(engineer_client, engineer):
    notification = _notify(engineer, 2)[0]
    response = engineer_client.post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response.url == notification.ticket.get_absolute_url()
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert engineer_client.get(reverse("notifications")).context["unread_notifications"] == 1


def test_nobody_opens_or_reads_someone_elses_notification(engineer_client):
    theirs = _notify(UserFactory(), 1)[0]
    assert engineer_client.post(reverse("notification_open", args=[theirs.pk])).status_code == 404
    engineer_client.post(reverse("notifications_read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(engineer_client, engineer):
    _notify(engineer, 3)
    response = engineer_client.post(reverse("notifications_read_all"), follow=True)
    assert not Notification.objects.filter(user=engineer, read_at__isnull=True).exists()
    page = response.content.decode()
    assert 'id="notification-count"' not in page and 'id="mark-all-read"' not in page


def test_marking_needs_a_post(engineer_client, engineer):
    notification = _notify(engineer, 1)[0]
    assert engineer_client.get(reverse("notification_open", args=[notification.pk])).status_code == 405
    assert engineer_client.get(reverse("notifications_read_all")).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_unread_fragment(engineer_client, engineer, client):
    _notify(engineer, 2)
    fragment = engineer_client.get(reverse("notifications_unread")).content.decode()
    assert fragment.lstrip().startswith('<a id="notification-bell"') and ">2</span>" in fragment
    engineer_client.logout()
    response = client.get(reverse("notifications_unread"))
    assert response.status_code == 286  # htmx stops polling, no login page swapped into the navbar


def test_the_notifications_page_needs_a_login(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_anonymous_pages_run_no_query_for_the_bell(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = client.get(reverse("login")).content.decode()
    assert "notification-bell" not in page


def test_the_bell_costs_one_query(engineer_client, engineer, django_assert_num_queries):
    _notify(engineer, 2)
    # session, user, permissions (user, group) for the navbar, the page's count and rows, the bell's count
    with django_assert_num_queries(7):
        engineer_client.get(reverse("notifications"))
