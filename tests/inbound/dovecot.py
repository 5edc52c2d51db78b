"""A throw-away Dovecot IMAP server on a loopback port (14301-14320), for the tests and the benchmark.

Running as root (here and in CI): Dovecot refuses uid 0 for mail, so mail is stored as the ``mail``
user (mail_uid/first_valid_uid) in a maildir owned by it; its auth process runs as ``dovecot`` and must
read the configuration folder and the passwd file, so those are world-readable (mkdtemp makes 0700).
Login and anvil run without a chroot. Plain-text login without TLS is allowed: loopback only, tests only.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

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


def start() -> Dovecot:
    """Write a configuration under a new folder in /tmp and run Dovecot in the foreground (-F) on it."""
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
    except BaseException:
        stop(Dovecot(root, port, process))
        raise
    return Dovecot(root, port, process)


def stop(server: Dovecot) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)
    shutil.rmtree(server.root, ignore_errors=True)
