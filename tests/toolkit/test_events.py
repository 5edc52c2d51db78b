"""Event notifications (toolkit.events.notify): who is told, in which language, exactly once."""

import email
import email.header
import logging
import signal
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import ContactFactory, CustomerFactory, TicketFactory, UserFactory
from tests.toolkit.servers import Robot
from tests.toolkit.test_worker import (  # the real-worker helpers
    DOWN_BROKER_URL,
    ON_POSTGRESQL,
    WebhookReceiver,
    _start_worker_process,
    _stop,
    _wait_until_ready,
    redis_queue,  # noqa: F401 - a fixture
    use_broker,
    wait_for,
)
from toolkit import events, notifications, services, tasks
from toolkit.choices import (
    Channel,
    DeliveryStatus,
    EventKind,
    Priority,
    ProblemType,
    Source,
    Stage,
    WebhookKind,
)
from toolkit.models import ChatWebhook, Delivery, Event, Notification

SITE = "https://desk.example.com"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE + "/"


@pytest.fixture
def boss(db):
    return UserFactory(
        username="boss", first_name="张经理", job_title="", email="boss@example.com", role="manager"
    )


@pytest.fixture
def li(db):
    return UserFactory(
        username="li", first_name="李工", job_title="", email="li@example.com", role="engineer"
    )


@pytest.fixture
def alice(db):
    return UserFactory(
        username="alice",
        first_name="Alice",
        job_title="",
        email="alice@example.com",
        language="en",
        role="engineer",
    )


@pytest.fixture
def ticket(db, li):
    return TicketFactory(owner=li, recorded_by=li, customer=CustomerFactory(name="TSA公司"))


def test_recipients_are_told_once_each_never_the_actor_nor_inactive_users(ticket, boss, li, alice):
    gone = UserFactory(username="gone", email="gone@example.com", is_active=False)
    event = events.notify(
        kind=EventKind.ASSIGNED, recipients=[li, alice, li, gone, boss, None], actor=boss, ticket=ticket
    )
    assert event is not None
    assert event.params == {"actor": "张经理", "number": ticket.number, "customer": "TSA公司"}
    assert event.link == ticket.get_absolute_url()
    told = sorted(Notification.objects.filter(event=event).values_list("user__username", flat=True))
    assert told == ["alice", "li"]
    emails = Delivery.objects.filter(event=event, channel=Channel.EMAIL)
    assert sorted(emails.values_list("recipient", "language")) == [
        ("alice@example.com", "en"),
        ("li@example.com", "zh-hans"),
    ]


def test_nobody_to_tell_records_nothing(ticket, li):
    assert events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=li, ticket=ticket) is None
    assert not Event.objects.exists()


def test_an_unknown_kind_is_refused(ticket, li, boss):
    with pytest.raises(ValueError):
        events.notify(kind="promoted", recipients=[li], actor=boss, ticket=ticket)
    assert not Event.objects.exists()


def test_contact_details_never_reach_the_text(ticket, li, boss):
    event = events.notify(
        kind=EventKind.REASSIGNED_AWAY,
        recipients=[li],
        actor=boss,
        ticket=ticket,
        params={"new_owner": "王工", "reason": "客户 13856785678 / wang@tsa.example.com 要求换人"},
    )
    assert "13856785678" not in event.params["reason"]
    assert "wang@tsa.example.com" not in event.params["reason"]
    assert "138****5678" in event.params["reason"]


def test_notifications_in_the_recipients_language(client, ticket, boss, li, alice):
    events.notify(
        kind=EventKind.REASSIGNED_AWAY,
        recipients=[li, alice],
        actor=boss,
        ticket=ticket,
        params={"new_owner": "王工", "reason": "客户要求"},
    )
    client.force_login(alice)
    page = client.get(reverse("notifications")).content.decode()
    assert f"张经理 reassigned {ticket.number} (TSA公司) to 王工" in page
    assert "Reason: 客户要求" in page
    client.force_login(li)
    page = client.get(reverse("notifications")).content.decode()
    assert f"张经理 将 {ticket.number}(TSA公司)转派给 王工" in page
    assert "原因:客户要求" in page


def test_the_same_event_fans_out_once_however_often_it_runs(ticket, boss, li):
    event = events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    again = notifications.event_fan_out(event=event, users=[li])
    assert Notification.objects.filter(event=event).count() == 1
    assert Delivery.objects.filter(event=event).count() == 1
    assert again == list(Delivery.objects.filter(event=event).values_list("pk", flat=True))


def test_a_delivery_sent_twice_goes_out_once(ticket, boss, li):
    event = events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    delivery = Delivery.objects.get(event=event)
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li@example.com"]
    assert message.subject == f"张经理 将 {ticket.number}(TSA公司)分派给你"
    assert f"{SITE}/diagnosis/{ticket.number}/" in message.body


def test_a_row_for_both_a_reminder_and_an_event_or_neither_is_refused(ticket, li):
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(channel=Channel.EMAIL, recipient="li@example.com")


def test_chat_goes_to_active_webhooks_only_when_asked(ticket, boss, li):
    on = ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url="http://127.0.0.1:9/hook")
    ChatWebhook.objects.create(
        name="旧群", kind=WebhookKind.WECOM, url="http://127.0.0.1:9/old", active=False
    )
    quiet = events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    assert not Delivery.objects.filter(event=quiet, channel=Channel.WEBHOOK).exists()
    loud = events.notify(
        kind=EventKind.DESIGN_AWAITING_APPROVAL, recipients=[boss], actor=li, ticket=ticket, chat=True
    )
    assert list(
        Delivery.objects.filter(event=loud, channel=Channel.WEBHOOK).values_list("recipient", flat=True)
    ) == [str(on.pk)]


# ---------------------------------------------------------------- the hooks: who is told of what


def test_reassigning_tells_both_owners_with_the_reason(ticket, boss, li, alice):
    services.ticket_update(ticket=ticket, by=boss, owner=alice, reason="李工休假")
    assigned = Event.objects.get(kind=EventKind.ASSIGNED)
    away = Event.objects.get(kind=EventKind.REASSIGNED_AWAY)
    assert list(assigned.notifications.values_list("user__username", flat=True)) == ["alice"]
    assert list(away.notifications.values_list("user__username", flat=True)) == ["li"]
    assert away.params["new_owner"] == "Alice" and away.params["reason"] == "李工休假"
    with translation.override("zh-hans"):
        text = notifications.event_text(away)
    assert text.line == f"张经理 将 {ticket.number}(TSA公司)转派给 Alice"
    assert text.details == ["原因:李工休假"]
    assert ticket.history.first().history_change_reason == "李工休假"
    assert not Notification.objects.filter(user=boss).exists()  # the one who did it


def test_an_edit_that_keeps_the_owner_tells_nobody(ticket, li):
    services.ticket_update(ticket=ticket, by=li, owner=li, preliminary_judgement="验证码接口异常")
    assert not Event.objects.exists()


def test_a_ticket_logged_for_someone_else_is_assigned_to_them(boss, li):
    contact = ContactFactory(customer=CustomerFactory(name="TSB工厂"))
    ticket = services.ticket_create(
        recorded_by=boss,
        owner=li,
        customer=contact.customer,
        contact=contact,
        source=Source.PHONE,
        occurred_at=timezone.now() - timedelta(minutes=5),
        description="设备数据同步延迟",
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P1,
    )
    event = Event.objects.get()
    assert (event.kind, event.ticket, event.actor) == (EventKind.ASSIGNED, ticket, boss)
    assert list(event.notifications.values_list("user", flat=True)) == [li.pk]


def _submitted_design(ticket, engineer):
    from solutions import services as solutions
    from tests.solutions.conftest import score_all
    from tests.solutions.factories import SolutionOptionFactory

    solutions.design_get_or_create(ticket=ticket)
    option = SolutionOptionFactory(ticket=ticket, created_by=engineer)
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    solutions.option_choose(ticket=ticket, option=option, by=engineer)
    solutions.design_submit(ticket=ticket, by=engineer)
    return solutions


def test_a_submitted_design_asks_the_managers_who_may_decide_and_the_chat(li, boss, alice):
    ticket = TicketFactory(owner=li, stage=Stage.DESIGN, customer=CustomerFactory(name="TSA公司"))
    hook = ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url="http://127.0.0.1:9/hook")
    author_manager = UserFactory(username="author-manager", role="manager")
    from solutions.models import DesignAuthor

    DesignAuthor.objects.create(ticket=ticket, user=author_manager)
    _submitted_design(ticket, li)
    event = Event.objects.get(kind=EventKind.DESIGN_AWAITING_APPROVAL)
    # Managers who wrote none of it; not the author-manager (four-eyes), not engineers.
    assert list(event.notifications.values_list("user__username", flat=True)) == ["boss"]
    assert event.link == reverse("solutions:design", args=[ticket.number])
    assert Delivery.objects.filter(event=event, channel=Channel.WEBHOOK, recipient=str(hook.pk)).exists()


def test_a_decided_design_tells_its_authors(li, boss):
    ticket = TicketFactory(owner=li, stage=Stage.DESIGN, customer=CustomerFactory(name="TSA公司"))
    solutions = _submitted_design(ticket, li)
    solutions.design_reject(ticket=ticket, by=boss, comment="成本太高,请联系 13856785678 的王女士再确认")
    event = Event.objects.get(kind=EventKind.DESIGN_DECIDED)
    assert list(event.notifications.values_list("user__username", flat=True)) == ["li"]
    with translation.override("en"):
        text = notifications.event_text(event)
    assert text.line == f"张经理 rejected the solution design of {ticket.number} (TSA公司)"
    assert text.details == ["Comment: 成本太高,请联系 138****5678 的王女士再确认"]


def test_an_article_in_review_asks_the_reviewers_who_did_not_write_it(li, boss):
    from knowledge import services as knowledge
    from tests.knowledge.factories import make_article

    editor = UserFactory(username="editor-manager", role="manager")
    article = make_article(li, title="验证码错误的排查")
    knowledge.article_update(article=article, by=editor, solution_steps="1. 重启验证码服务")
    knowledge.article_submit(article=article, by=li)
    event = Event.objects.get(kind=EventKind.ARTICLE_AWAITING_REVIEW)
    assert list(event.notifications.values_list("user__username", flat=True)) == ["boss"]
    assert event.link == article.get_absolute_url() and event.ticket is None
    with translation.override("zh-hans"):
        assert notifications.event_text(event).line == "李工 提交了文章“验证码错误的排查”,等待审核"


# ---------------------------------------------------------------- the bell


@pytest.mark.parametrize("count", [1, 8])
def test_bell_page_shows_events_with_their_kind_in_constant_queries(
    client, boss, li, count, django_assert_num_queries
):
    for _ in range(count):
        ticket = TicketFactory(owner=li, recorded_by=li, customer=CustomerFactory(name="TSA公司"))
        events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    events.notify(
        kind=EventKind.MENTIONED, recipients=[li], actor=boss, ticket=ticket, params={"excerpt": "看一下"}
    )
    client.force_login(li)
    # Session, user, unread count, page count, the page's rows (with ticket and event), the user's
    # language for the texts is on the user already; none of it grows with the rows.
    with django_assert_num_queries(7):
        page = client.get(reverse("notifications")).content.decode()
    assert page.count(f"张经理 将 {ticket.number}(TSA公司)分派给你") == 1
    assert page.count("(TSA公司)分派给你") == count
    assert f"张经理 在 {ticket.number}(TSA公司)中提到了你" in page
    assert ">提到你</span>" in page and ">分派给你</span>" in page


def test_opening_an_event_notification_goes_to_its_link_and_marks_it_read(client, boss, li):
    ticket = TicketFactory(owner=li, stage=Stage.DESIGN)
    link = reverse("solutions:design", args=[ticket.number])
    events.notify(kind=EventKind.DESIGN_DECIDED, recipients=[li], actor=boss, ticket=ticket, link=link)
    notification = Notification.objects.get(user=li)
    client.force_login(li)
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response.url == link
    notification.refresh_from_db()
    assert notification.read_at is not None


# ---------------------------------------------------------------- real servers: SMTP and a chat robot

SMTP_PORTS = range(14040, 14051)


class Inbox:
    """aiosmtpd handler: keeps every message the server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _subject(message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def _body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset())


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a loopback port (14040–14050), and Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    for port in SMTP_PORTS:
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except OSError:
            continue
        break
    else:
        pytest.fail("no free SMTP port in 14040-14050")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()


def test_email_through_a_real_smtp_server_in_each_recipients_language_once(
    smtp_server, ticket, boss, li, alice
):
    event = events.notify(
        kind=EventKind.REASSIGNED_AWAY,
        recipients=[li, alice],
        actor=boss,
        ticket=ticket,
        params={"new_owner": "王工", "reason": "客户要求"},
    )
    ids = list(Delivery.objects.filter(event=event).order_by("pk").values_list("pk", flat=True))
    for _run in range(2):  # the task runs twice (acks late, a second worker): sent once
        for pk in ids:
            assert notifications.delivery_send(pk) == DeliveryStatus.SENT
    by_address = {to[0]: message for to, message in smtp_server.messages}
    assert len(smtp_server.messages) == 2 and set(by_address) == {"li@example.com", "alice@example.com"}
    english, chinese = by_address["alice@example.com"], by_address["li@example.com"]
    assert _subject(english) == f"张经理 reassigned {ticket.number} (TSA公司) to 王工"
    assert "Reason: 客户要求" in _body(english)
    assert f"Open: {SITE}/diagnosis/{ticket.number}/" in _body(english)
    assert "You receive this because you owned or follow the ticket." in _body(english)
    assert _subject(chinese) == f"张经理 将 {ticket.number}(TSA公司)转派给 王工"
    assert "原因:客户要求" in _body(chinese)
    assert "13856785678" not in _body(english) + _body(chinese)  # the ticket's contact details


def test_chat_robot_gets_the_design_awaiting_approval_once(settings, li, boss):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    ticket = TicketFactory(owner=li, stage=Stage.DESIGN, customer=CustomerFactory(name="TSA公司"))
    with Robot() as robot:
        ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url=robot.url)
        _submitted_design(ticket, li)
        delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
        assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
        assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
        tasks.deliver_task.apply(args=[delivery.pk])  # a repeated message from the broker
    assert len(robot.received) == 1 and robot.delivery_ids() == [str(delivery.pk)]
    content = robot.payloads()[0]["markdown"]["content"]
    assert "方案待审批" in content
    assert f"李工 提交了 {ticket.number}(TSA公司)的解决方案,等待审批" in content
    assert f"{SITE}/solutions/{ticket.number}/" in content


def test_sending_after_commit_only(django_capture_on_commit_callbacks, ticket, boss, li, monkeypatch):
    queued = []

    def enqueue(ids):
        queued.append(list(ids))
        return len(ids)

    monkeypatch.setattr(tasks, "enqueue_deliveries", enqueue)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
        assert not queued  # nothing is sent before the caller's transaction commits
    assert len(callbacks) == 1
    assert queued == [list(Delivery.objects.filter(event=event).values_list("pk", flat=True))]


def test_with_the_broker_down_a_reassignment_is_slowed_once_and_the_scan_sends_later(
    django_capture_on_commit_callbacks, ticket, boss, li, alice, monkeypatch, caplog
):
    monkeypatch.setattr(events, "_broker_down_until", 0.0)
    # (A worker started by an earlier test leaves the root logger at its own level.)
    caplog.set_level(logging.WARNING, logger="toolkit.tasks")
    with use_broker(DOWN_BROKER_URL, "events-test"):  # nothing listens there: a real refused connection
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_update(ticket=ticket, by=boss, owner=alice, reason="换人")
        assert "broker unreachable" in caplog.text
        ticket.refresh_from_db()
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_update(ticket=ticket, by=boss, owner=li, reason="换回")
        assert time.monotonic() - started < 0.5  # the broker is not tried again for a minute
    pending = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("pk").values_list("pk", flat=True)
    )
    assert len(pending) == 4  # two e-mails per reassignment, both owners
    assert notifications.deliveries_due() == pending  # what the next scan sends


def test_a_rolled_back_action_tells_nobody(ticket, boss, li):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
        raise RuntimeError("the action failed")
    assert not Event.objects.exists() and not Notification.objects.exists() and not Delivery.objects.exists()


# ---------------------------------------------------------------- a real worker that dies


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: a worker process cannot share SQLite's in-memory test database",
)
def test_a_worker_killed_mid_event_delivery_leaves_one_bell_entry_one_mail_one_chat_message(
    transactional_db,
    redis_queue,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    UserFactory(username="boss", first_name="张经理", email="boss@example.com", role="manager")
    li = UserFactory(username="li", first_name="李工", job_title="", email="li@example.com", role="engineer")
    ticket = TicketFactory(owner=li, stage=Stage.DESIGN, customer=CustomerFactory(name="TSA公司"))
    log_path, mail_dir = tmp_path / "worker.log", tmp_path / "mail"
    mail_dir.mkdir()
    with WebhookReceiver(hold_first=True) as robot:
        ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url=robot.url)
        first = _start_worker_process(redis_queue, log_path, mail_dir)
        try:
            _wait_until_ready(first)
            _submitted_design(ticket, li)  # committed: its deliveries are queued through Redis
            wait_for(lambda: robot.started, timeout=60, message="the worker to start the chat message")
            webhook = Delivery.objects.get(channel=Channel.WEBHOOK)
            assert webhook.status == DeliveryStatus.SENDING  # claimed, in flight
        finally:
            _stop(first, signal.SIGKILL)  # parent and child die at once
        wait_for(lambda: robot.aborted, timeout=10, message="the robot to see the sender hang up")

        second = _start_worker_process(redis_queue, log_path, mail_dir)
        try:
            event_deliveries = Delivery.objects.filter(event__kind=EventKind.DESIGN_AWAITING_APPROVAL)

            def delivered():
                tasks.sla_scan_task.delay()  # beat's next scans queue the stale claim again
                statuses = set(event_deliveries.values_list("status", flat=True))
                return statuses == {DeliveryStatus.SENT}

            wait_for(delivered, timeout=90, interval=2, message="the deliveries after the restart")
            # The task runs twice more (a repeated message, a second worker): nothing more goes out.
            for delivery_id in event_deliveries.values_list("pk", flat=True):
                tasks.deliver_task.delay(delivery_id)
                tasks.deliver_task.delay(delivery_id)
            time.sleep(6)  # past the visibility timeout: Redis hands the killed task back, harmlessly
            tasks.sla_scan_task.delay()
            time.sleep(2)
        finally:
            _stop(second)
    log = log_path.read_text(errors="replace")
    webhook.refresh_from_db()
    assert robot.received == [str(webhook.pk)], log
    assert robot.started == [str(webhook.pk)] * 2, log  # the dead worker's try, then once more
    assert robot.bodies[0] == robot.bodies[1] == webhook.payload.encode()
    mails = [path.read_text() for path in mail_dir.iterdir()]
    assert sum(text.count("\nSubject: ") for text in mails) == 1, log
    assert "To: boss@example.com" in "".join(mails)
    assert Event.objects.count() == 1
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["boss"]


def test_the_language_chosen_on_the_account_page_is_the_one_events_speak(client, ticket, boss, li):
    client.force_login(li)
    client.post(reverse("account_security_language"), {"language": "en"})
    events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    assert Delivery.objects.get(recipient="li@example.com").language == "en"
    # The pages stay Chinese (the switch at the top); the bell's texts follow the account's choice.
    page = client.get(reverse("notifications")).content.decode()
    assert f"张经理 assigned {ticket.number} (TSA公司) to you" in page
    assert ">Assigned to you</span>" in page


def test_admins_see_event_deliveries_and_notifications(admin_client_role, ticket, boss, li):
    events.notify(kind=EventKind.ASSIGNED, recipients=[li], actor=boss, ticket=ticket)
    deliveries = admin_client_role.get(reverse("admin:toolkit_delivery_changelist"))
    assert deliveries.status_code == 200
    assert "li@example.com" in deliveries.content.decode() and "分派给你" in deliveries.content.decode()
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin_client_role.force_login(superuser)
    told = admin_client_role.get(reverse("admin:toolkit_notification_changelist"))
    assert told.status_code == 200
    assert f"张经理 将 {ticket.number}(TSA公司)分派给你" in told.content.decode()


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_kind_reads_in_both_languages(kind, ticket, boss, li):
    params = {
        "new_owner": "王工",
        "reason": "休假",
        "decision": "approved",
        "title": "验证码",
        "excerpt": "好的",
    }
    event = events.notify(kind=kind, recipients=[li], actor=boss, ticket=ticket, params=params)
    with translation.override("en"):
        english = notifications.event_text(event)
    with translation.override("zh-hans"):
        chinese = notifications.event_text(event)
    assert english.line != chinese.line and english.title != chinese.title
    assert english.reason != chinese.reason and english.reason
    assert "%(" not in english.line + chinese.line
