"""Team chat robots: the exact JSON each kind receives, the idempotency header, and what counts as failure.

The robot is a local HTTP server (127.0.0.1, a free port) started by the test; nothing leaves the machine.
Loopback addresses are refused unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on: these tests turn it on.
Deadlines, the circuit breaker, permanent errors and address checks are in test_outbound.py.
"""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, TicketFactory, UserFactory
from toolkit import notifications, webhooks
from toolkit.choices import Channel, DeliveryStatus, SlaClock, SlaTargetKind, WebhookKind
from toolkit.models import ChatWebhook, Delivery, Reminder, TicketSla

SITE = "https://desk.example.com"
OK = {WebhookKind.WECOM: {"errcode": 0, "errmsg": "ok"}, WebhookKind.DINGTALK: {"errcode": 0, "errmsg": "ok"}}
OK[WebhookKind.FEISHU] = {"code": 0, "msg": "success", "data": {}}


class Robot:
    """What the fake robot received, and what it answers next."""

    def __init__(self):
        self.received = []  # (path, headers, parsed JSON)
        self.status = 200
        self.body = b'{"errcode":0,"errmsg":"ok"}'
        self.headers = {"Content-Type": "application/json"}
        self.url = ""

    def answer(self, status=200, body=None, headers=None):
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        if headers:
            self.headers = {**self.headers, **headers}


@pytest.fixture
def robot():
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            state.received.append((self.path, dict(self.headers), json.loads(raw.decode("utf-8"))))
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format, *args):  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook/robot-secret"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _english_and_site(settings):
    settings.LANGUAGE_CODE = "en"
    settings.SITE_URL = SITE
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the robot listens on 127.0.0.1


@pytest.fixture
def breach(db):
    """A P0 first response 15 minutes overdue, owned by 李工 whose manager is 张经理."""
    boss = UserFactory(username="boss", first_name="张经理", job_title="", email="")
    owner = UserFactory(username="owner", first_name="李工", job_title="", email="", manager=boss)
    ticket = TicketFactory(
        owner=owner, recorded_by=owner, priority="P0", customer=CustomerFactory(name="TSA公司")
    )
    due = timezone.localtime().replace(
        year=2023, month=10, day=1, hour=14, minute=45, second=0, microsecond=0
    )
    sla = TicketSla.objects.create(
        ticket=ticket,
        target=SlaTargetKind.RESPONSE,
        started_at=due - timedelta(minutes=15),
        target_minutes=15,
        clock=SlaClock.ALWAYS,
        due_at=due,
    )
    return Reminder.objects.create(ticket_sla=sla, threshold=100, created_at=due + timedelta(minutes=15))


def _send_through(robot, reminder, kind):
    webhook = ChatWebhook.objects.create(name="值班群", kind=kind, url=robot.url)
    notifications.reminder_fan_out(reminder.pk)
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK, recipient=str(webhook.pk))
    return delivery, notifications.delivery_send(delivery.pk)


def _expected_text(reminder):
    number = reminder.ticket_sla.ticket.number
    line = f"[P0 breached] {number} TSA公司: First response overdue by 15 min"
    details = "Owner: 李工\nDue: 2023-10-01 14:45\nEscalated to: 张经理"
    return number, line, details


@pytest.mark.parametrize("kind", [WebhookKind.WECOM, WebhookKind.DINGTALK, WebhookKind.FEISHU])
def test_each_robot_receives_its_own_format_once_with_the_delivery_id(robot, breach, kind):
    robot.answer(body=OK[kind])
    delivery, status = _send_through(robot, breach, kind)

    assert status == DeliveryStatus.SENT
    number, line, details = _expected_text(breach)
    link = f"{SITE}/diagnosis/{number}/"
    quoted = "\n".join(f"> {part}" for part in [line, *details.splitlines()])
    expected = {
        WebhookKind.WECOM: {
            "msgtype": "markdown",
            "markdown": {
                "content": f'**<font color="warning">SLA breach</font>**\n{quoted}\n[{link}]({link})'
            },
        },
        WebhookKind.DINGTALK: {
            "msgtype": "markdown",
            "markdown": {"title": "SLA breach", "text": f"#### SLA breach\n\n{quoted}\n\n[{link}]({link})"},
        },
        WebhookKind.FEISHU: {
            "msg_type": "text",
            "content": {"text": f"SLA breach\n{line}\n{details}\n{link}"},
        },
    }[kind]
    [(path, headers, payload)] = robot.received
    assert path == "/hook/robot-secret"
    assert payload == expected
    assert headers["X-Delivery-Id"] == str(delivery.pk)
    assert headers["Content-Type"] == "application/json; charset=utf-8"

    # Sent is sent: a second call (a retried task, a second worker) posts nothing.
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.SENT
    assert len(robot.received) == 1


@pytest.mark.parametrize(
    ("kind", "status", "body", "error"),
    [
        (WebhookKind.WECOM, 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, "errcode 45009"),
        (WebhookKind.DINGTALK, 200, {"errcode": 130101, "errmsg": "send too fast"}, "errcode 130101"),
        (WebhookKind.FEISHU, 200, {"code": 11232, "msg": "frequency limited", "data": {}}, "code 11232"),
        (WebhookKind.WECOM, 500, b"upstream down", "HTTP 500"),
        (WebhookKind.WECOM, 429, b"slow down", "HTTP 429"),
        (WebhookKind.FEISHU, 408, b"", "HTTP 408"),
        (WebhookKind.DINGTALK, 302, b"", "HTTP 302"),
    ],
)
def test_an_error_reply_is_a_failed_attempt(robot, breach, kind, status, body, error):
    robot.answer(status=status, body=body, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    delivery, result = _send_through(robot, breach, kind)

    assert result == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.sent_at is None
    assert error in delivery.last_error
    assert "robot-secret" not in delivery.last_error  # the URL's secret stays out of logs and the admin
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert len(robot.received) == 1


def test_a_robot_that_is_down_is_a_failed_attempt(breach):
    webhook = ChatWebhook.objects.create(
        name="坏的", kind=WebhookKind.FEISHU, url="http://127.0.0.1:9/hook/x"
    )
    notifications.reminder_fan_out(breach.pk)
    delivery = Delivery.objects.get(recipient=str(webhook.pk))
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert "cannot reach http://127.0.0.1:9/hook/…" in delivery.last_error


def test_a_reply_without_json_after_2xx_counts_as_taken(robot):
    robot.answer(status=200, body=b"ok", headers={"Content-Type": "text/plain"})
    assert webhooks.post(WebhookKind.WECOM, robot.url, {"msgtype": "text"}) == {}


def test_only_http_urls_are_posted_to():
    with pytest.raises(webhooks.WebhookError, match="not an http"):
        webhooks.post(WebhookKind.WECOM, "file:///etc/passwd", {})


def test_secrets_are_redacted_from_urls():
    assert webhooks._redact("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    )
    assert webhooks._redact("https://open.feishu.cn/open-apis/bot/v2/hook/0d1e-secret") == (
        "https://open.feishu.cn/open-apis/bot/v2/hook/…"
    )


def test_admins_send_a_test_message(robot, admin_client_role):
    robot.answer(body=OK[WebhookKind.FEISHU])
    webhook = ChatWebhook.objects.create(name="飞书群", kind=WebhookKind.FEISHU, url=robot.url)
    response = admin_client_role.post(
        reverse("admin:toolkit_chatwebhook_changelist"),
        {"action": "send_test", "_selected_action": [webhook.pk]},
        follow=True,
    )
    assert "飞书群: test message sent." in response.content.decode()
    [(_path, headers, payload)] = robot.received
    assert payload["msg_type"] == "text" and "SLA" in payload["content"]["text"]
    assert "X-Delivery-Id" not in headers


@pytest.mark.parametrize(
    ("kind", "status", "body", "error"),
    [
        (WebhookKind.WECOM, 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, "errcode 93000"),
        (WebhookKind.DINGTALK, 200, {"errcode": 300001, "errmsg": "token is not exist"}, "errcode 300001"),
        (
            WebhookKind.DINGTALK,
            200,
            {"errcode": 310000, "errmsg": "keywords not in content"},
            "errcode 310000",
        ),
        (WebhookKind.FEISHU, 200, {"code": 19021, "msg": "sign match fail", "data": {}}, "code 19021"),
        (WebhookKind.FEISHU, 200, {"StatusCode": 9499, "StatusMessage": "Bad Request"}, "StatusCode 9499"),
        (WebhookKind.WECOM, 404, b"no such robot", "HTTP 404"),
        (WebhookKind.FEISHU, 400, b"", "HTTP 400"),
    ],
)
def test_a_permanent_error_fails_at_once_without_retries(robot, breach, kind, status, body, error):
    robot.answer(status=status, body=body)
    delivery, result = _send_through(robot, breach, kind)

    assert result == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.sent_at is None
    assert error in delivery.last_error and "robot-secret" not in delivery.last_error
    # Failed is final: another scan or task posts nothing more.
    assert notifications.delivery_send(delivery.pk) == DeliveryStatus.FAILED
    assert len(robot.received) == 1
