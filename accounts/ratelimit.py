"""Password-reset requests, limited per e-mail address and per client address (fixed hourly windows in
Django's cache, shared by every web process when REDIS_URL is set).

The limits apply whether or not the address has an account, so the answer never tells. If the cache
fails, the request is allowed and the failure logged: a locked-out person must still be able to reset.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

from toolkit.client_address import UNKNOWN, client_address

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60 * 60


def _count(scope: str, key: str, limit: int) -> bool:
    window = int(time.time()) // WINDOW_SECONDS
    cache_key = f"accounts:reset:{scope}:{key}:{window}"
    try:
        cache.add(cache_key, 0, timeout=WINDOW_SECONDS + 5)
        return cache.incr(cache_key) <= limit
    except Exception:
        logger.warning("Password-reset limit: the cache failed; request allowed", exc_info=True)
        return True


def axes_client_address(request) -> str | None:
    """The client address for django-axes (settings.AXES_CLIENT_IP_CALLABLE). Its log fields hold IP
    addresses only: a request without a usable one (a Unix socket, a test's force_login) counts as None."""
    address = client_address(request)
    return None if address == UNKNOWN else address


def password_reset_allowed(request, *, email: str) -> bool:
    """Count one reset request; False once its client or its e-mail address is over the hourly limit."""
    # The cache holds a digest, not the address someone typed.
    email_key = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:32]
    if not _count("ip", client_address(request), settings.PASSWORD_RESET_PER_IP_PER_HOUR):
        return False
    return _count("email", email_key, settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR)
