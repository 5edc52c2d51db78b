"""Team chat robots: the message formats of WeCom, DingTalk and Feishu, and one HTTP POST.

Formats (the robots' own documentation):

* WeCom (企业微信群机器人): ``{"msgtype": "markdown", "markdown": {"content": ...}}``; the reply is
  ``{"errcode": 0, "errmsg": "ok"}``, any other errcode is a failure.
* DingTalk (钉钉自定义机器人): ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``;
  the title is what the conversation list shows. Same errcode reply as WeCom. A robot with the
  "keyword" security setting drops messages without the keyword: every message here contains "SLA".
* Feishu (飞书自定义机器人): ``{"msg_type": "text", "content": {"text": ...}}``; the reply is
  ``{"code": 0, "msg": "success", "data": {}}`` (older robots also send ``StatusCode``), with
  HTTP 200 even for errors, so the body decides.

Sending (``post``) uses only the standard library and is strict, because a reminder must never
wait on someone else's server:

* deadlines: ``WEBHOOK_CONNECT_TIMEOUT_SECONDS`` for the TCP (and TLS) connect and
  ``WEBHOOK_TIMEOUT_SECONDS`` for the whole request, name lookup to the last byte of the reply. A
  socket timeout alone bounds each read, not their sum (a server trickling one byte a second never
  trips it), so a timer shuts the socket down when the total deadline passes.
* addresses: the host is resolved once, every address is checked (no private, loopback,
  link-local, multicast or reserved address unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``), and the
  connection goes to an address that was checked, so a second lookup (DNS rebinding) cannot switch
  it. TLS still verifies the certificate against the host name.
* redirects are not followed: a redirected POST would come back as a GET without the message.
* errors say whether retrying can help (``WebhookError.permanent``): a 4xx other than 408/429, or a
  robot's error code for a wrong key, token or security setting, is permanent.
"""

import contextlib
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import WebhookKind

MAX_REPLY_BYTES = 64 * 1024
DELIVERY_ID_HEADER = "X-Delivery-Id"
# HTTP statuses after which a retry may succeed; any other 4xx is permanent.
RETRYABLE_CLIENT_ERRORS = {408, 429}
# Robot error codes that no retry can fix: the key/token is wrong or the robot was removed, or its
# security setting (keyword, IP allow-list, signature) refuses us. Rate limits and server errors are
# retried.
PERMANENT_ROBOT_CODES = {
    WebhookKind.WECOM: {93000},  # invalid webhook url (bad or deleted key)
    WebhookKind.DINGTALK: {300001, 310000},  # token does not exist; keyword/signature/IP check failed
    WebhookKind.FEISHU: {9499, 19001, 19021, 19022, 19024},  # bad request, bad token, sign, IP, keyword
}
# Name lookups run here so that a hanging resolver is bounded by the deadline too.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class WebhookError(Exception):
    """The robot did not take the message: network error, non-2xx status or an error code in the reply.

    ``permanent``: the same request can never succeed (retrying would only repeat the failure).
    """

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class ChatMessage:
    """What a robot shows: a short title, the text, and the link to open."""

    title: str
    text: str
    link: str
    breach: bool = False


def build_payload(kind: str, message: ChatMessage) -> dict:
    """The JSON body for one robot kind."""
    if kind == WebhookKind.WECOM:
        title = f'<font color="warning">{message.title}</font>' if message.breach else message.title
        content = f"**{title}**\n{_quote(message.text)}\n[{message.link}]({message.link})"
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if kind == WebhookKind.DINGTALK:
        text = f"#### {message.title}\n\n{_quote(message.text)}\n\n[{message.link}]({message.link})"
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
    if kind == WebhookKind.FEISHU:
        return {"msg_type": "text", "content": {"text": f"{message.title}\n{message.text}\n{message.link}"}}
    raise ValueError(f"unknown webhook kind {kind!r}")


def _quote(text: str) -> str:
    """Markdown quote, line by line (both robots render "> " as a grey bar)."""
    return "\n".join(f"> {line}" for line in text.splitlines())


def encode(payload: dict) -> bytes:
    """The exact bytes posted for a payload (stored with a delivery so that a retry repeats them)."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def post(kind: str, url: str, body, *, delivery_id=None) -> dict:
    """POST the body (bytes, or a payload dict) as JSON; return the robot's reply (a dict, maybe empty).

    Raises WebhookError; ``error.permanent`` says retrying cannot help.
    """
    if isinstance(body, dict):
        body = encode(body)
    headers = {}
    if delivery_id is not None:
        # The idempotency key: a receiver (or a relay in front of a robot) drops a repeat of the same id.
        headers[DELIVERY_ID_HEADER] = str(delivery_id)
    status, raw = request(url, body, headers=headers)
    if not 200 <= status < 300:
        detail = raw[:500].decode("utf-8", "replace")
        permanent = 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS
        raise WebhookError(f"HTTP {status} from {_redact(url)}: {detail}".rstrip(": "), permanent=permanent)
    reply = _parse(raw)
    error, permanent = _reply_error(kind, reply)
    if error:
        raise WebhookError(f"{_redact(url)} answered {error}", permanent=permanent)
    return reply


def request(url: str, body: bytes, *, headers: dict[str, str]) -> tuple[int, bytes]:
    """One strict JSON POST (the deadlines, address checks and no redirects above), any status answered.

    Returns (HTTP status, up to MAX_REPLY_BYTES of the reply). Raises WebhookError for a bad or refused
    URL (permanent) and for a network failure or a passed deadline (retryable). Also used by the
    outbound event webhooks (hooks), which add their own headers and judge the status themselves.
    """
    deadline = time.monotonic() + settings.WEBHOOK_TIMEOUT_SECONDS
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"not an http(s) URL: {_redact(url)}", permanent=True)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookError(f"bad port in {_redact(url)}", permanent=True) from None
    addresses = _checked_addresses(parts.hostname, port, url, deadline)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "service-toolkit", **headers}
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return _exchange(
        parts.scheme, parts.hostname, port, addresses, target, body, headers, url=url, deadline=deadline
    )


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def _checked_addresses(host: str, port: int, url: str, deadline: float) -> list:
    """Every address the host resolves to, each allowed; raises WebhookError (permanent if refused)."""
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(0.0, _remaining(deadline)))
    except FutureTimeout:
        raise WebhookError(f"cannot reach {_redact(url)}: name lookup timed out") from None
    except OSError as error:
        raise WebhookError(f"cannot reach {_redact(url)}: {error}") from None
    addresses = [(family, sockaddr) for family, _type, _proto, _name, sockaddr in infos]
    refused = next((sockaddr[0] for _family, sockaddr in addresses if not address_allowed(sockaddr[0])), None)
    if refused is not None:
        raise WebhookError(
            f"{_redact(url)} resolves to {refused}, a private, loopback, link-local or multicast address "
            "(WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off)",
            permanent=True,
        )
    return addresses


def address_allowed(address: str) -> bool:
    """Whether a chat webhook may connect to this IP address (public ones, or any when allowed by setting)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if ip.version == 6:
        # IPv4 carried inside IPv6 (mapped, 6to4, NAT64) is judged by its IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _exchange(scheme, host, port, addresses, target, body, headers, *, url, deadline) -> tuple[int, bytes]:
    """One request to the first checked address that answers; (status, up to MAX_REPLY_BYTES of body)."""
    state = {"sock": None, "expired": False}
    lock = threading.Lock()

    def expire():
        # The total deadline: shutting the socket down wakes whatever read or write is blocked on it.
        with lock:
            state["expired"] = True
            if state["sock"] is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(state["sock"], socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, _remaining(deadline)), expire)
    timer.daemon = True
    timer.start()
    sock = connection = None
    try:
        sock = _connect(addresses, url=url, deadline=deadline)
        sock.settimeout(max(0.001, _remaining(deadline)))
        _watch(sock, state, lock)
        if scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=host)
            _watch(sock, state, lock)
            connection = http.client.HTTPSConnection(host, port, context=context)
        else:
            connection = http.client.HTTPConnection(host, port)
        connection.sock = sock  # already connected, to the address that was checked
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        raw = response.read(MAX_REPLY_BYTES)
        if state["expired"]:
            raise OSError("deadline passed")
        return status, raw
    except (OSError, http.client.HTTPException) as error:
        if state["expired"] or isinstance(error, TimeoutError):
            limit = settings.WEBHOOK_TIMEOUT_SECONDS
            raise WebhookError(f"no complete answer from {_redact(url)} within {limit} s") from None
        raise WebhookError(f"cannot reach {_redact(url)}: {error}") from None
    finally:
        timer.cancel()
        if connection is not None:
            connection.close()  # also the response's reader, which keeps the socket open otherwise
        if sock is not None:
            sock.close()


def _watch(sock, state, lock) -> None:
    """Hand the socket to the deadline timer (or give up now if the deadline has already passed)."""
    with lock:
        if state["expired"]:
            raise OSError("deadline passed")
        state["sock"] = sock


def _connect(addresses, *, url: str, deadline: float) -> socket.socket:
    """A TCP connection to the first of the checked addresses that accepts within the connect timeout."""
    last_error = None
    timeout = settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(max(0.001, min(timeout, _remaining(deadline))))
        try:
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    if isinstance(last_error, TimeoutError):
        raise WebhookError(f"cannot reach {_redact(url)}: no connection within {timeout:g} s")
    raise last_error or OSError("no address")


def validate_url(url: str) -> None:
    """Refuse a chat webhook URL whose host resolves to a private, loopback, link-local or multicast address.

    Used when an admin saves a webhook; ``post`` checks again at every send (addresses change). A host
    that cannot be resolved now is accepted here and checked when sending.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter an http:// or https:// address."), code="scheme")
    try:
        infos = _resolver.submit(socket.getaddrinfo, parts.hostname, None, type=socket.SOCK_STREAM).result(
            timeout=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS
        )
    except (FutureTimeout, OSError, UnicodeError):
        return
    refused = next((info[4][0] for info in infos if not address_allowed(info[4][0])), None)
    if refused is not None:
        raise ValidationError(
            _(
                "%(host)s is a private, loopback, link-local or multicast address (%(address)s). Chat "
                "webhooks may only reach public addresses unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on."
            ),
            code="private_address",
            params={"host": parts.hostname, "address": refused},
        )


def _parse(raw: bytes) -> dict:
    try:
        reply = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return reply if isinstance(reply, dict) else {}


def reply_error(kind: str, reply: dict) -> str:
    """The error a robot reported in its JSON reply, or "" when it took the message."""
    return _reply_error(kind, reply)[0]


def _reply_error(kind: str, reply: dict) -> tuple[str, bool]:
    """(error text or "", whether it is permanent)."""
    if kind in (WebhookKind.WECOM, WebhookKind.DINGTALK):
        pairs = (("errcode", "errmsg"),)
    else:
        pairs = (("code", "msg"), ("StatusCode", "StatusMessage"))
    for key, message_key in pairs:
        code = reply.get(key, 0)
        if code not in (0, "0"):
            try:
                permanent = int(code) in PERMANENT_ROBOT_CODES.get(kind, set())
            except (TypeError, ValueError):
                permanent = False
            return f"{key} {code}: {reply.get(message_key, '')}", permanent
    return "", False


def _redact(url: str) -> str:
    """The URL without its secret (WeCom key=, DingTalk access_token=, Feishu's last path segment)."""
    parts = urlsplit(url)
    path = parts.path
    if "/hook/" in path:
        path = path.rsplit("/", 1)[0] + "/…"
    return f"{parts.scheme}://{parts.netloc}{path}"
