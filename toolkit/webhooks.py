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

Only the standard library (urllib) is used. Redirects are not followed: a redirected POST would come
back as a GET without the message and look like a success.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from .choices import WebhookKind

TIMEOUT_SECONDS = 10
MAX_REPLY_BYTES = 64 * 1024
DELIVERY_ID_HEADER = "X-Delivery-Id"


class WebhookError(Exception):
    """The robot did not take the message: network error, non-2xx status or an error code in the reply."""


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError for the 3xx


_opener = urllib.request.build_opener(_NoRedirect)


def post(kind: str, url: str, payload: dict, *, delivery_id=None, timeout=TIMEOUT_SECONDS) -> dict:
    """POST the payload as JSON; return the robot's reply (a dict, maybe empty). Raises WebhookError."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError(f"not an http(s) URL: {_redact(url)}")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "service-toolkit"}
    if delivery_id is not None:
        # Lets a receiver (or a relay in front of it) drop a repeat of the same delivery.
        headers[DELIVERY_ID_HEADER] = str(delivery_id)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            raw = response.read(MAX_REPLY_BYTES)
    except urllib.error.HTTPError as error:
        with error:
            detail = error.read(500).decode("utf-8", "replace")
        raise WebhookError(f"HTTP {error.code} from {_redact(url)}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WebhookError(f"cannot reach {_redact(url)}: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status} from {_redact(url)}")
    reply = _parse(raw)
    error = reply_error(kind, reply)
    if error:
        raise WebhookError(f"{_redact(url)} answered {error}")
    return reply


def _parse(raw: bytes) -> dict:
    try:
        reply = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return reply if isinstance(reply, dict) else {}


def reply_error(kind: str, reply: dict) -> str:
    """The error a robot reported in its JSON reply, or "" when it took the message."""
    if kind in (WebhookKind.WECOM, WebhookKind.DINGTALK):
        code = reply.get("errcode", 0)
        if code not in (0, "0"):
            return f"errcode {code}: {reply.get('errmsg', '')}"
        return ""
    for key, message_key in (("code", "msg"), ("StatusCode", "StatusMessage")):
        code = reply.get(key, 0)
        if code not in (0, "0"):
            return f"{key} {code}: {reply.get(message_key, '')}"
    return ""


def _redact(url: str) -> str:
    """The URL without its secret (WeCom key=, DingTalk access_token=, Feishu's last path segment)."""
    parts = urlsplit(url)
    path = parts.path
    if "/hook/" in path:
        path = path.rsplit("/", 1)[0] + "/…"
    return f"{parts.scheme}://{parts.netloc}{path}"
