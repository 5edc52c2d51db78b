"""Writes of the API app: personal access tokens and the answers kept for retried POSTs."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, IdempotentRequest, TokenScope

TOKEN_START = "stk_"  # noqa: S105 - the tokens' visible start, not a secret
PREFIX_LENGTH = 8
# A token's last use is written at most this often: not one UPDATE per request.
LAST_USED_EVERY = timedelta(minutes=1)
MAX_DAYS = 366
DEFAULT_DAYS = 90
# How long a POST's answer is kept for a retry with the same Idempotency-Key.
IDEMPOTENCY_KEEP = timedelta(hours=24)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token as the client sends it; shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def api_token_create(*, user, name: str, write: bool = False, days: int = DEFAULT_DAYS) -> IssuedToken:
    """A new token for ``user``; the returned secret is the only copy (only its SHA-256 digest is kept)."""
    if not user.is_active:
        raise ValidationError(_("An inactive account cannot have API tokens."))
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            {"days": _("A token lasts from 1 to %(max)d days.") % {"max": MAX_DAYS}}, code="days"
        )
    name = (name or "").strip()[:100] or _("API token")
    for _attempt in range(5):
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name,
                    scope=TokenScope.WRITE if write else TokenScope.READ,
                    prefix=prefix,
                    digest=_digest(secret),
                    expires_at=timezone.now() + timedelta(days=days),
                )
        except IntegrityError:  # the same random prefix twice: draw again
            continue
        return IssuedToken(token=token, secret=f"{TOKEN_START}{prefix}_{secret}")
    raise RuntimeError("No free token prefix")  # pragma: no cover - 2**32 prefixes


def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke a token: its owner, or someone who may manage users (an admin)."""
    if token.user_id != by.pk and not by.has_perm("toolkit.change_user"):
        raise PermissionDenied(_("You may revoke only your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(secret: str, *, now=None) -> ApiToken | None:
    """The live token a client sent (not revoked, not expired, its user active), or None.

    Records its last use, at most once a minute.
    """
    secret = (secret or "").strip()
    if not secret.startswith(TOKEN_START) or len(secret) > 200:
        return None
    prefix, _sep, rest = secret[len(TOKEN_START) :].partition("_")
    if len(prefix) != PREFIX_LENGTH or not rest:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(rest)):
        return None
    now = now or timezone.now()
    if not token.is_active(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def rate_limit_per_minute() -> int:
    return int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600))


class IdempotencyConflict(Exception):
    """The key was used before for another request path."""


def idempotent(*, user, key: str, path: str, make: Callable[[], tuple[int, Any]]) -> tuple[int, Any, bool]:
    """Run ``make`` once per (user, key): a retry gets the first answer back (replayed=True).

    The key's row and what ``make`` writes commit together; a concurrent retry's INSERT waits on the
    unique constraint and then finds the committed answer. A failing ``make`` keeps nothing, so a
    corrected retry with the same key works.
    """
    key = key.strip()[:200]
    existing = IdempotentRequest.objects.filter(user=user, key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(user=user, key=key, path=path)
                status, body = make()
                record.status_code, record.body = status, body
                record.save(update_fields=["status_code", "body"])
                return status, body, False
        except IntegrityError:
            existing = IdempotentRequest.objects.filter(user=user, key=key).first()
            if existing is None:  # pragma: no cover - the other request failed and kept nothing
                raise
    if existing.path != path:
        raise IdempotencyConflict
    return existing.status_code, existing.body, True


def idempotent_requests_expire(*, now=None) -> int:
    """Forget the answers kept for retries once IDEMPOTENCY_KEEP has passed (run by the periodic task)."""
    now = now or timezone.now()
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=now - IDEMPOTENCY_KEEP).delete()
    return deleted
