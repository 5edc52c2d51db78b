"""The inbound mailbox over IMAP: INBOUND_EMAIL_URL, and one poll that hands each unseen mail to services.

IMAPClient (a kept package over the standard library's imaplib) talks to the server: UIDs throughout,
raw message bytes as the server stores them, and a socket deadline on every step (connect, and each
read or write after it), so a server that stops answering fails the poll instead of holding a worker.
TLS (imaps://, imap+starttls://) verifies the certificate and host name against the system's trust
store or INBOUND_EMAIL_CA_FILE (tls_context); a refused handshake fails the poll, never plain text.

A poll reads the unseen mails' sizes, fetches their bodies in batches (``BODY.PEEK[]`` does not set
\\Seen), hands each to ``services.mail_take`` and flags the batch \\Seen once the database has it. A
poller that dies before the flag leaves the mails unseen: the next poll takes them again and finds them
claimed (the Message-ID is unique in the database). The mailbox should be the desk's own: a person who
reads a mail there first (setting \\Seen) hides it from the desk.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from imapclient import SEEN, IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError as IMAPError

logger = logging.getLogger(__name__)

__all__ = [
    "IMAPError",
    "MailboxConfig",
    "PollOutcome",
    "configured",
    "connect",
    "describe",
    "parse_url",
    "poll",
    "tls_context",
]

DEFAULT_PORTS = {"imaps": 993, "imap": 143, "imap+starttls": 143}
# Bodies are fetched this many at a time, or fewer when their sizes add up past FETCH_BATCH_BYTES.
FETCH_BATCH_COUNT = 50
FETCH_BATCH_BYTES = 8 * 1024 * 1024
SIZE_BATCH = 1000
# One poll stops fetching after this long; the next one goes on where it stopped.
POLL_TIME_BUDGET_SECONDS = 180


@dataclass(frozen=True)
class MailboxConfig:
    security: str  # "ssl" (imaps://), "starttls" (imap+starttls://) or "plain" (imap://, tests only)
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"

    @property
    def address(self) -> str:
        """The mailbox's own address when the login is one (mail from it is a loop)."""
        return self.username if "@" in self.username else ""


def parse_url(url: str) -> MailboxConfig | None:
    """``imaps://user:pass@host:993/INBOX`` → MailboxConfig; empty → None. ImproperlyConfigured if bad."""
    url = (url or "").strip()
    if not url:
        return None
    return _parse(url)


@functools.lru_cache(maxsize=8)
def _parse(url: str) -> MailboxConfig:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"INBOUND_EMAIL_URL is not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ImproperlyConfigured(
            "INBOUND_EMAIL_URL must start with imaps:// (TLS), imap+starttls:// or imap:// (plain, tests)."
        )
    if not parts.hostname or not parts.username or parts.password is None:
        raise ImproperlyConfigured("INBOUND_EMAIL_URL needs a user, a password and a host.")
    security = {"imaps": "ssl", "imap+starttls": "starttls", "imap": "plain"}[scheme]
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxConfig(
        security=security,
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        username=unquote(parts.username),
        password=unquote(parts.password),
        folder=folder,
    )


def configured() -> MailboxConfig | None:
    """The mailbox settings.INBOUND_EMAIL_URL names, or None when inbound mail is off."""
    return parse_url(settings.INBOUND_EMAIL_URL)


def tls_context() -> ssl.SSLContext:
    """Certificates verified, host name checked: against settings.INBOUND_EMAIL_CA_FILE alone when set (a
    private CA), else the system's trust store. ImproperlyConfigured when the CA file cannot be loaded."""
    ca_file = settings.INBOUND_EMAIL_CA_FILE
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(
            f"INBOUND_EMAIL_CA_FILE {ca_file!r} cannot be loaded as PEM certificates: {error}"
        ) from None
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def connect(config: MailboxConfig) -> IMAPClient:
    """Logged in, with the deadlines of settings.INBOUND_EMAIL_TIMEOUT_SECONDS on every socket step: the
    connect deadline covers TCP, the TLS handshake of imaps:// and the greeting; the read deadline covers
    every command after it, STARTTLS's handshake included. TLS is verified (tls_context); a failed
    handshake or a server without STARTTLS fails the poll, never falling back to plain text."""
    seconds = settings.INBOUND_EMAIL_TIMEOUT_SECONDS
    timeout = SocketTimeout(connect=seconds, read=seconds)
    context = tls_context() if config.security != "plain" else None
    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.security == "ssl",
        ssl_context=context if config.security == "ssl" else None,
        timeout=timeout,
    )
    try:
        if config.security == "starttls":
            client.starttls(context)
        client.login(config.username, config.password)
    except BaseException:
        _close(client)
        raise
    return client


def describe(error: BaseException) -> str:
    """An IMAP or network error as one readable line (imaplib carries the server's words as bytes)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return _(
            "the server's TLS certificate is not trusted (%(reason)s); a private CA's certificate goes in "
            "INBOUND_EMAIL_CA_FILE"
        ) % {"reason": str(error.verify_message or error.reason or error).rstrip(".")}
    if isinstance(error, ssl.SSLError):
        reason = error.reason or error.strerror or error
        return _("the TLS handshake failed (%(reason)s)") % {"reason": reason}
    parts = [arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg) for arg in error.args]
    # IMAPClient's LoginError holds the server's bytes already turned into "b'…'".
    parts = [part[2:-1] if part.startswith(("b'", 'b"')) and part[-1:] in "'\"" else part for part in parts]
    return " ".join(part for part in parts if part) or type(error).__name__


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - closing a connection that already broke
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            logger.debug("IMAP connection already closed")


@dataclass
class PollOutcome:
    """What one poll did: mails taken per status, mails another poller (or an earlier poll) had taken,
    and mails left for the next poll (the time budget ran out)."""

    statuses: Counter = field(default_factory=Counter)
    already_taken: int = 0
    left: int = 0
    fetched_bytes: int = 0

    @property
    def taken(self) -> int:
        return sum(self.statuses.values())


def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    batch: list[int] = []
    batch_bytes = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= FETCH_BATCH_COUNT or batch_bytes + size > FETCH_BATCH_BYTES):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(uid)
        batch_bytes += size
    if batch:
        yield batch


def _sizes(client: IMAPClient, uids: list[int]) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for start in range(0, len(uids), SIZE_BATCH):
        for uid, data in client.fetch(uids[start : start + SIZE_BATCH], ["RFC822.SIZE"]).items():
            sizes[uid] = int(data.get(b"RFC822.SIZE", 0))
    return sizes


def poll(
    *, config: MailboxConfig | None = None, time_budget: float = POLL_TIME_BUDGET_SECONDS
) -> PollOutcome:
    """Take every unseen mail of the mailbox once (see the module's docstring). Raises ImproperlyConfigured
    when inbound mail is off, and the IMAP library's errors (or OSError) when the server fails."""
    from . import services

    config = config or configured()
    if config is None:
        raise ImproperlyConfigured("INBOUND_EMAIL_URL is not set: inbound mail is off.")
    outcome = PollOutcome()
    started = time.monotonic()
    max_bytes = settings.INBOUND_EMAIL_MAX_BYTES
    client = connect(config)
    try:
        client.select_folder(config.folder)
        uids = sorted(client.search(["UNSEEN", "UNDELETED"]))
        sizes = _sizes(client, uids) if uids else {}
        for position, batch in enumerate(_batches(uids, sizes)):
            if position and time.monotonic() - started > time_budget:
                outcome.left = len(uids) - uids.index(batch[0])
                break
            small = [uid for uid in batch if sizes.get(uid, 0) <= max_bytes]
            large = [uid for uid in batch if uid not in small]
            done = []
            if small:
                fetched = client.fetch(small, ["BODY.PEEK[]"])
                for uid in small:
                    raw = fetched.get(uid, {}).get(b"BODY[]")
                    if raw is None:
                        continue  # expunged meanwhile
                    outcome.fetched_bytes += len(raw)
                    mail, taken = services.mail_take(raw=raw, folder=config.folder, uid=uid)
                    _count(outcome, mail, taken)
                    done.append(uid)
            if large:
                fetched = client.fetch(large, ["BODY.PEEK[HEADER]"])
                for uid in large:
                    if uid not in fetched:
                        continue
                    header = fetched[uid].get(b"BODY[HEADER]") or b""
                    mail, taken = services.mail_too_large(
                        header=header, size=sizes[uid], folder=config.folder, uid=uid
                    )
                    _count(outcome, mail, taken)
                    done.append(uid)
            if done:
                client.add_flags(done, [SEEN], silent=True)
    finally:
        _close(client)
    return outcome


def _count(outcome: PollOutcome, mail, taken: bool) -> None:
    if taken:
        outcome.statuses[mail.status] += 1
    else:
        outcome.already_taken += 1
