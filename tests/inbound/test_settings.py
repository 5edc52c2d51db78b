"""INBOUND_EMAIL_URL and the deadlines: parsed once and checked at start, off when empty, and a mail
server that stops answering fails the poll within the deadline instead of holding a worker."""

import socket
import threading
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from inbound import checks, mailbox, tasks
from tests.inbound.conftest import PORTS, make_mail
from toolkit.models import Ticket


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imaps://desk%40example.com:p%40ss@mail.example.com/INBOX",
            ("ssl", "mail.example.com", 993, "INBOX"),
        ),
        ("imap+starttls://desk:pw@mail.example.com:1143/", ("starttls", "mail.example.com", 1143, "INBOX")),
        ("imap://desk:pw@127.0.0.1:14301/%E5%AE%A2%E6%9C%8D", ("plain", "127.0.0.1", 14301, "客服")),
    ],
)
def test_the_url_names_security_host_port_and_folder(url, expected):
    config = mailbox.parse_url(url)
    assert (config.security, config.host, config.port, config.folder) == expected
    assert "pw" not in repr(config) and "p@ss" not in repr(config)


def test_the_login_is_url_decoded():
    config = mailbox.parse_url("imaps://desk%40example.com:p%40ss@mail.example.com/INBOX")
    assert (config.username, config.password, config.address) == (
        "desk@example.com",
        "p@ss",
        "desk@example.com",
    )


@pytest.mark.parametrize(
    "url", ["pop3://a:b@host/", "imaps://host/INBOX", "imaps://user@host/INBOX", "imaps://a:b@host:99999/"]
)
def test_a_bad_url_is_refused_loudly(url, settings):
    with pytest.raises(ImproperlyConfigured):
        mailbox.parse_url(url)
    settings.INBOUND_EMAIL_URL = url
    assert [error.id for error in checks.inbound_settings()] == ["inbound.E001"]


def test_empty_url_turns_polling_off(settings):
    settings.INBOUND_EMAIL_URL = ""
    assert mailbox.configured() is None
    assert tasks.fetch_mail_task() == {}
    assert checks.inbound_settings() == []


def test_the_beat_polls_on_the_default_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["inbound-mail"]
    assert entry["task"] == "inbound.tasks.fetch_mail_task"
    assert entry["schedule"] == float(settings.INBOUND_EMAIL_POLL_SECONDS)
    assert "queue" not in entry.get("options", {})
    assert tasks.fetch_mail_task.name == entry["task"]


@pytest.mark.django_db
def test_the_task_polls_the_mailbox(dovecot, manager):
    dovecot.deliver(make_mail())

    result = tasks.fetch_mail_task()

    assert result["processed"] == 1 and Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_wrong_password_fails_fetch_mail_with_a_message(dovecot, settings):
    settings.INBOUND_EMAIL_URL = dovecot.url().replace(":imap-test-pass@", ":wrong@")
    with pytest.raises(CommandError, match=r"AUTHENTICATIONFAILED\] Authentication failed\.$"):
        call_command("fetch_mail")
    assert tasks.fetch_mail_task() == {}  # the periodic task logs it and waits for the next period


class SilentServer:
    """Accepts connections on a loopback port and then says nothing (greeting=False) or only the IMAP
    greeting (greeting=True): a mail server that hangs."""

    def __init__(self, *, greeting: bool):
        self.greeting = greeting
        self.sockets = []
        self.stop = threading.Event()
        for port in PORTS:
            listener = socket.socket()
            try:
                listener.bind(("127.0.0.1", port))
            except OSError:
                listener.close()
                continue
            self.listener, self.port = listener, port
            break
        self.listener.listen(5)
        self.listener.settimeout(0.1)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                connection, _address = self.listener.accept()
            except TimeoutError:
                continue
            self.sockets.append(connection)
            if self.greeting:
                connection.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        for connection in self.sockets:
            connection.close()
        self.listener.close()


@pytest.mark.parametrize("greeting", [False, True], ids=["no-greeting", "hangs-after-greeting"])
def test_a_server_that_stops_answering_fails_the_poll_within_the_deadline(settings, greeting):
    server = SilentServer(greeting=greeting)
    settings.INBOUND_EMAIL_URL = f"imap://desk:pw@127.0.0.1:{server.port}/INBOX"
    settings.INBOUND_EMAIL_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    try:
        with pytest.raises(CommandError):
            call_command("fetch_mail")
    finally:
        server.close()
    assert time.monotonic() - started < 5
