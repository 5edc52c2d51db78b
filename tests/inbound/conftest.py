"""A real IMAP server for the inbound-mail tests: Dovecot (Debian's dovecot-imapd) with a throw-away
configuration, listening on 127.0.0.1 on a free port of 14301-14320, started once per test session.

Running as root (here and in CI): Dovecot refuses uid 0 for mail, so mail is stored as the ``mail``
user (mail_uid/first_valid_uid) in a maildir owned by it; its auth process runs as ``dovecot`` and must
read the configuration folder and the passwd file, so those are world-readable (mkdtemp makes 0700).
Login and anvil run without a chroot. Plain-text login without TLS is allowed: loopback only, tests only.

Without /usr/sbin/dovecot the tests skip locally and fail in CI (CI=true): .ci/run installs it.
"""

from __future__ import annotations

import email.utils
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.conftest import IN_CI

DOVECOT = Path("/usr/sbin/dovecot")
PORTS = range(14301, 14321)
USER = "support@desk.example.com"
PASSWORD = "imap-test-pass"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%n/Maildir
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
first_valid_gid = 8
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 14301-14320 for Dovecot")


def _wait_for(port: int, process: subprocess.Popen, root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (
                (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
            )
            raise RuntimeError(f"Dovecot exited with {process.returncode}: {log[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("Dovecot did not answer within 15 s")


class Dovecot:
    def __init__(self, root: Path, port: int, process: subprocess.Popen):
        self.root, self.port, self.process = root, port, process

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{USER.replace('@', '%40')}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Put mails into the mailbox by IMAP APPEND, as a mail server's delivery would."""
        with self.client() as client:
            for raw in messages:
                client.append(folder, raw)

    def empty(self, folder: str = "INBOX") -> None:
        with self.client() as client:
            client.select_folder(folder)
            uids = client.search(["ALL"])
            if uids:
                client.delete_messages(uids)
                client.expunge()

    def unseen(self, folder: str = "INBOX") -> list[int]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return client.search(["UNSEEN"])

    def count(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            return client.select_folder(folder, readonly=True)[b"EXISTS"]


@pytest.fixture(scope="session")
def dovecot_server():
    if not DOVECOT.exists():
        if IN_CI:
            pytest.fail("/usr/sbin/dovecot is missing: .ci/run installs dovecot-imapd")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="mailin-dc-"))
    root.chmod(0o755)
    port = _free_port()
    (root / "mail").mkdir()
    shutil.chown(root / "mail", "mail", "mail")
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "passwd").chmod(0o644)
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    (root / "dovecot.conf").chmod(0o644)
    process = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process, root)
        yield Dovecot(root, port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)


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
