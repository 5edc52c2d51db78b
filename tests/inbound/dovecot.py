"""A throw-away Dovecot IMAP server on a loopback port (14301-14320), for the tests and the benchmark;
``start(tls=True)`` one that requires TLS (ports 14321-14330: imaps, and imap with STARTTLS) with a
certificate for ``localhost`` from a throw-away CA made here (``Dovecot.ca_file``).

Running as root (here and in CI): Dovecot refuses uid 0 for mail, so mail is stored as the ``mail``
user (mail_uid/first_valid_uid) in a maildir owned by it; its auth process runs as ``dovecot`` and must
read the configuration folder and the passwd file, so those are world-readable (mkdtemp makes 0700).
Login and anvil run without a chroot. Plain-text login without TLS is allowed: loopback only, tests only.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = Path("/usr/sbin/dovecot")
PORTS = range(14301, 14321)
TLS_PORTS = range(14321, 14331)
TLS_HOST = "localhost"  # the only name in the server's certificate (127.0.0.1 is a host name mismatch)
USER = "support@desk.example.com"
PASSWORD = "imap-test-pass"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
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
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
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
PLAIN = "ssl = no\ndisable_plaintext_auth = no"
# TLS required: a login before STARTTLS on the imap port is refused by the server itself.
TLS = """ssl = required
disable_plaintext_auth = yes
ssl_min_protocol = TLSv1.2
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key"""


def _free_port(ports: range, taken: tuple[int, ...] = ()) -> int:
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1} for Dovecot")


def make_certificates(folder: Path, *, name: str = "Service Toolkit test CA") -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate it signed for ``localhost``:
    (ca.pem, server.pem, server.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TLS_HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(TLS_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths[2].chmod(0o600)
    return paths


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
    def __init__(
        self, root: Path, port: int, process: subprocess.Popen, *, imaps_port: int = 0, tls: bool = False
    ):
        self.root, self.port, self.process = root, port, process
        self.imaps_port, self.tls = imaps_port, tls
        self.ca_file = root / "ca.pem" if tls else None

    def url(self, folder: str = "INBOX", *, scheme: str = "", host: str = "") -> str:
        """imap:// on the plain server; imaps:// (or scheme="imap+starttls") to localhost on the TLS one."""
        scheme = scheme or ("imaps" if self.tls else "imap")
        port = self.imaps_port if scheme == "imaps" else self.port
        host = host or (TLS_HOST if self.tls else "127.0.0.1")
        return f"{scheme}://{USER.replace('@', '%40')}:{PASSWORD}@{host}:{port}/{folder}"

    def client(self) -> IMAPClient:
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.ca_file))
            client = IMAPClient(TLS_HOST, port=self.imaps_port, ssl=True, ssl_context=context, timeout=10)
        else:
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


def start(*, tls: bool = False) -> Dovecot:
    """Write a configuration under a new folder in /tmp and run Dovecot in the foreground (-F) on it.
    tls=True: TLS required, imaps and imap (STARTTLS) listeners, a throw-away CA's certificate."""
    root = Path(tempfile.mkdtemp(prefix="mailin-dc-"))
    root.chmod(0o755)
    if tls:
        port = _free_port(TLS_PORTS)
        imaps_port = _free_port(TLS_PORTS, taken=(port,))
        make_certificates(root)
    else:
        port, imaps_port = _free_port(PORTS), 0
    (root / "mail").mkdir()
    shutil.chown(root / "mail", "mail", "mail")
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "passwd").chmod(0o644)
    security = TLS.format(root=root) if tls else PLAIN
    (root / "dovecot.conf").write_text(
        CONFIG.format(root=root, port=port, imaps_port=imaps_port, ssl=security)
    )
    (root / "dovecot.conf").chmod(0o644)
    process = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Dovecot(root, port, process, imaps_port=imaps_port, tls=tls)
    try:
        _wait_for(port, process, root)
    except BaseException:
        stop(server)
        raise
    return server


def stop(server: Dovecot) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)
    shutil.rmtree(server.root, ignore_errors=True)
