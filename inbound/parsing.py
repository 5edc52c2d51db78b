"""Reading one inbound e-mail: who sent it, what it answers, its text and its attachments.

Pure functions over the raw bytes, no database. Python's ``email`` package (policy ``default``) reads the
MIME structure; headers are decoded here from their raw form, because Chinese mail clients label text
GB2312 that holds GBK-only characters (镕, 喆, …) and the standard decoder then yields U+FFFD. Every
Chinese label is read as GB18030 (a superset of GB2312 and GBK), as WHATWG's Encoding Standard does.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.policy
import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath

# Labels mail clients send, read as the superset they really mean (WHATWG Encoding Standard).
CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-gbk": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-euc-cn": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
# Longest Message-ID kept as it is; a longer one is stored as its digest (the column is 255).
MESSAGE_ID_MAX = 250
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
FILENAME_MAX = 150
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MESSAGE_IDS = re.compile(r"<([^<>\s]+)>")
_TICKET_NUMBER = re.compile(r"\bTS-\d{8}-\d{4,}\b")


class UnreadableMail(Exception):
    """The bytes are not a mail this desk can act on (no sender, no headers): kept for an admin."""


@dataclass
class Attachment:
    name: str
    content: bytes
    content_type: str


@dataclass
class ParsedMail:
    message_id: str  # normalised (see normalise_message_id); "" when the mail has none
    in_reply_to: list[str]
    references: list[str]
    # The three headers as sent (Message-IDs in angle brackets), for the conversation's threading.
    message_id_header: str
    in_reply_to_header: str
    references_header: str
    subject: str
    from_name: str
    from_address: str
    sent_at: datetime | None
    body: str
    body_was_html: bool
    attachments: list[Attachment] = field(default_factory=list)
    auto_reason: str = ""  # why it is an auto-reply, bounce or loop; "" for a person's mail

    @property
    def ticket_numbers(self) -> list[str]:
        return _TICKET_NUMBER.findall(self.subject)


def raw_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def normalise_message_id(value: str) -> str:
    """``<abc@host>`` → ``abc@host``; one too long for the column → ``sha256:<digest>``."""
    value = value.strip().strip("<>").strip()
    if len(value) > MESSAGE_ID_MAX:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()
    return value


def mail_key(message_id: str, raw: bytes) -> str:
    """What makes a mail unique in the database: its Message-ID, else a digest of its bytes (stable)."""
    return message_id or "raw-sha256:" + raw_digest(raw)


def codec_for(charset: str | None) -> str | None:
    """The Python codec to read text labelled ``charset``; None for an unknown label."""
    if not charset:
        return None
    label = charset.strip().strip('"').lower()
    label = CHARSET_SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes to text: the declared charset (its superset), then UTF-8, then GB18030, then with U+FFFD."""
    tried = []
    for codec in (codec_for(charset), "utf-8", "gb18030"):
        if codec and codec not in tried:
            tried.append(codec)
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    return data.decode(tried[0], errors="replace")


def _as_bytes(value: str) -> bytes:
    # Raw 8-bit header bytes arrive from the parser as surrogate escapes.
    return value.encode("utf-8", "surrogateescape")


def decode_header_value(value: str | None) -> str:
    """A raw header (RFC 2047 encoded words and/or raw 8-bit bytes) as text, charsets read leniently."""
    if not value:
        return ""
    try:
        chunks = email.header.decode_header(value)
    except (ValueError, AssertionError):
        chunks = [(value, None)]
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(decode_text(_as_bytes(chunk), None) if _has_surrogates(chunk) else chunk)
        else:
            parts.append(decode_text(chunk, charset))
    text = "".join(parts).replace("\x00", "")
    return " ".join(text.split()) if "\n" in text or "\r" in text else text.strip()


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _raw_headers(message: EmailMessage) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), []).append(str(value))
    return headers


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name.lower())
    return values[0] if values else ""


def _message_ids(value: str) -> list[str]:
    return [normalise_message_id(found) for found in _MESSAGE_IDS.findall(value or "")]


def _sent_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    # "-0000" (time zone unknown) parses naive: take it as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def auto_reply_reason(headers: dict[str, list[str]], *, from_address: str, own_addresses) -> str:
    """Why this mail was sent by a machine (auto-reply, bounce, list, our own echo); "" if by a person.

    RFC 3834 Auto-Submitted (anything but "no"); Precedence bulk/junk/list/auto_reply; an empty
    Return-Path (RFC 5321 null reverse-path: bounces and notifications); X-Autoreply/X-Autorespond;
    a delivery or disposition report; a mail from our own address (a loop).
    """
    auto_submitted = _first(headers, "auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _first(headers, "precedence").strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if "return-path" in headers and _first(headers, "return-path").strip() in ("<>", ""):
        return "Return-Path: <>"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if name in headers and _first(headers, name).strip().lower() not in ("", "no", "false"):
            return f"{name}: {_first(headers, name).strip()}"
    content_type = _first(headers, "content-type").lower()
    if content_type.startswith("multipart/report"):
        return "Content-Type: multipart/report"
    if from_address and from_address.lower() in own_addresses:
        return "From: our own address"
    return ""


class _TextFromHtml(HTMLParser):
    """Visible text of an HTML mail: tags dropped, script/style/head skipped, blocks on their own lines."""

    SKIP = {"script", "style", "head", "title", "template"}
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "pre":
            self.pre += 1
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCK or tag == "pre":
            self._line_break()

    def _line_break(self):
        # A block starts and ends on its own line, without stacking blank lines between blocks.
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        if tag in self.BLOCK and tag != "br" or tag == "pre":
            self._line_break()

    def handle_data(self, data):
        if self.skipping:
            return
        self.parts.append(data if self.pre else re.sub(r"[ \t\r\n\f]+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).replace("\xa0", " ").split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """The text a reader sees in an HTML mail; nothing of the markup survives (the result is plain text)."""
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    return parser.text()


def _part_bytes(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: EmailMessage) -> str:
    text = decode_text(_part_bytes(part), part.get_content_charset())
    # NUL cannot be stored in a PostgreSQL text column; it is never part of what a person wrote.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def safe_filename(name: str, *, content_type: str, index: int) -> str:
    """A file name without folders or control characters, never empty, at most FILENAME_MAX long."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = _CONTROL.sub("", name).strip().strip(".")
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{extension}"
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:20] if dot else ""
        name = (stem or name)[: FILENAME_MAX - len(extension) - 1] + (dot + extension if extension else "")
    return name


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename() or ""
    except (ValueError, LookupError, IndexError, AttributeError):
        name = ""
    if "\ufffd" in name or _has_surrogates(name):
        name = decode_header_value(_as_bytes(name).decode("utf-8", "replace"))
    return decode_header_value(name) if "=?" in name else name


def _leaves(part: EmailMessage):
    """The parts that hold content, depth first; a forwarded mail (message/rfc822) is one leaf."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    payload = part.get_payload()
    for child in payload if isinstance(payload, list) else []:
        if isinstance(child, EmailMessage):
            yield from _leaves(child)


def _body_part(message: EmailMessage) -> EmailMessage | None:
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, IndexError, AttributeError):
        body = None
    if body is not None:
        return body  # type: ignore[return-value]
    for leaf in _leaves(message):
        if leaf.get_content_maintype() == "text" and leaf.get_content_disposition() != "attachment":
            return leaf
    return None


def parse_mail(raw: bytes, *, own_addresses=frozenset()) -> ParsedMail:
    """Read one mail. Raises UnreadableMail when it has no sender address to answer."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default always makes these
        raise UnreadableMail("not a mail message")
    headers = _raw_headers(message)
    if not headers:
        raise UnreadableMail("no headers")
    from_header = _first(headers, "from") or _first(headers, "sender")
    name, address = email.utils.parseaddr(from_header)
    address = address.strip()
    if "@" not in address or len(address) > 254 or _CONTROL.search(address) or " " in address:
        raise UnreadableMail(f"no usable sender address in From: {from_header[:200]!r}")
    sender_name = decode_header_value(name)
    body_part = _body_part(message)
    body, was_html = "", False
    if body_part is not None:
        body = _part_text(body_part)
        if body_part.get_content_subtype() == "html":
            body, was_html = html_to_text(body), True
    attachments = []
    for leaf in _leaves(message):
        if leaf is body_part:
            continue
        content_type = leaf.get_content_type()
        disposition = leaf.get_content_disposition()
        filename = _filename(leaf)
        if content_type in ("text/plain", "text/html") and not filename and disposition != "attachment":
            continue  # the other alternative of the body, or a text fragment around it
        if content_type == "message/rfc822":
            inner = leaf.get_payload()
            content = bytes(inner[0]) if isinstance(inner, list) and inner else _part_bytes(leaf)
            filename = filename or f"forwarded-{len(attachments) + 1}.eml"
        else:
            content = _part_bytes(leaf)
        attachments.append(
            Attachment(
                name=safe_filename(filename, content_type=content_type, index=len(attachments) + 1),
                content=content,
                content_type=content_type,
            )
        )
    in_reply_to = _message_ids(_first(headers, "in-reply-to"))
    references = _message_ids(" ".join(headers.get("references", [])))
    message_ids = _message_ids(_first(headers, "message-id"))
    return ParsedMail(
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=in_reply_to,
        references=references,
        message_id_header=" ".join(_MESSAGE_IDS.findall(_first(headers, "message-id"))[:1]),
        in_reply_to_header=_first(headers, "in-reply-to").strip(),
        references_header=" ".join(" ".join(headers.get("references", [])).split()),
        subject=decode_header_value(_first(headers, "subject")),
        from_name=sender_name,
        from_address=address,
        sent_at=_sent_at(_first(headers, "date")),
        body=body,
        body_was_html=was_html,
        attachments=attachments,
        auto_reason=auto_reply_reason(
            headers, from_address=address, own_addresses={a.lower() for a in own_addresses}
        ),
    )


def message_id_of(raw: bytes) -> str:
    """The mail's normalised Message-ID from its headers alone (cheap, never raises); "" if none."""
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        message = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32)
        found = _message_ids(str(message.get("message-id", "") or ""))
    except Exception:  # noqa: BLE001 - a mail we cannot read is keyed by its bytes instead
        return ""
    return found[0] if found else ""


def summary_of(raw: bytes) -> tuple[str, str]:
    """(sender address, subject) read leniently for an admin's list; ("", "") when even that fails."""
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        message = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32)
        _name, address = email.utils.parseaddr(str(message.get("from", "") or ""))
        return address, decode_header_value(str(message.get("subject", "") or ""))
    except Exception:  # noqa: BLE001 - the admin then sees the raw message only
        return "", ""
