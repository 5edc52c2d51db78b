"""A real SMTP server for the conversation's mail tests: aiosmtpd on 127.0.0.1, ports 14025–14035.

It keeps every message it accepts (the raw bytes, parsed on demand), or refuses DATA with a given code
and text when told to (``refuse``), so tests see exactly what a mail server would have received.
"""

from __future__ import annotations

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

PORTS = range(14025, 14036)


class Mailbox:
    """aiosmtpd handler: accepts and records each message, or refuses it while ``refusal`` is set."""

    def __init__(self):
        self.received: list[tuple[str, list[str], bytes]] = []  # (mail from, rcpt tos, raw bytes)
        self.refusal: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refusal:
            return self.refusal
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def refuse(self, reply: str | None) -> None:
        """E.g. "451 4.3.0 Try again later" (temporary) or "554 5.7.1 Rejected"; None accepts again."""
        self.refusal = reply

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            raw = [content for _from, _to, content in self.received]
        return [email.message_from_bytes(content, policy=email.policy.default) for content in raw]  # type: ignore[misc]

    @property
    def recipients(self) -> list[list[str]]:
        with self.lock:
            return [to for _from, to, _content in self.received]


def start() -> tuple[Controller, Mailbox]:
    """The SMTP server on the first free port of PORTS, serving in its own thread."""
    mailbox = Mailbox()
    last_error: Exception | None = None
    for port in PORTS:
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=10)
        try:
            controller.start()
        except Exception as error:  # the port is taken: try the next one
            last_error = error
            continue
        return controller, mailbox
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}: {last_error}")
