"""A real IMAP server for the inbound-mail tests: Dovecot (Debian's dovecot-imapd) with a throw-away
configuration on a loopback port (tests/inbound/dovecot.py), started once per test session.

Without /usr/sbin/dovecot the tests skip locally and fail in CI (CI=true): .ci/run installs it.
"""

from __future__ import annotations

import email.utils
from email.message import EmailMessage

import pytest

from tests.conftest import IN_CI
from tests.inbound.dovecot import DOVECOT, PORTS, USER, start, stop

__all__ = ["PORTS", "make_mail"]


@pytest.fixture(scope="session")
def dovecot_server():
    if not DOVECOT.exists():
        if IN_CI:
            pytest.fail("/usr/sbin/dovecot is missing: .ci/run installs dovecot-imapd")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = start()
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture(scope="session")
def dovecot_tls_server():
    """A second Dovecot that requires TLS (imaps, and STARTTLS on imap) with a throw-away CA's certificate."""
    if not DOVECOT.exists():
        if IN_CI:
            pytest.fail("/usr/sbin/dovecot is missing: .ci/run installs dovecot-imapd")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = start(tls=True)
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture
def dovecot_tls(dovecot_tls_server, settings):
    """The TLS Dovecot with an empty INBOX; INBOUND_EMAIL_URL is imaps://localhost:…, its CA trusted."""
    dovecot_tls_server.empty()
    settings.INBOUND_EMAIL_URL = dovecot_tls_server.url()
    settings.INBOUND_EMAIL_CA_FILE = str(dovecot_tls_server.ca_file)
    settings.INBOUND_EMAIL_TIMEOUT_SECONDS = 10
    return dovecot_tls_server


@pytest.fixture
def dovecot(dovecot_server, settings):
    """The session's Dovecot with an empty INBOX, and INBOUND_EMAIL_URL pointing at it."""
    dovecot_server.empty()
    settings.INBOUND_EMAIL_URL = dovecot_server.url()
    settings.INBOUND_EMAIL_TIMEOUT_SECONDS = 10
    return dovecot_server


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Raw mails and attachments go to this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_mail(
    *,
    subject: str = "无法登录系统",
    body: str | None = "登录时提示“验证码错误”,影响3名用户提交订单。\n",
    sender: str = "王女士 <wang@tsa.example.com>",
    message_id: str | None = "auto",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
    charset: str = "utf-8",
    date: str | None = None,
) -> bytes:
    """One mail as a customer's client would send it (utf-8 unless charset says otherwise)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = USER
    message["Subject"] = subject
    message["Date"] = date or email.utils.formatdate(localtime=True)
    if message_id == "auto":
        message_id = email.utils.make_msgid(domain="tsa.example.com")
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body, charset=charset)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)
