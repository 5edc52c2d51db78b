"""A small fixed-window rate limit per client IP in Django's cache, for the public survey pages.

If the cache backend fails (Redis down), the request is allowed and the failure logged: a survey
answer matters more than the limit.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# (requests, window in seconds); settings may override them.
DEFAULT_LIMITS = {
    "survey_lookup": (60, 10 * 60),
    "survey_submit": (10, 60 * 60),
}


def client_ip(request) -> str:
    """REMOTE_ADDR: forwarded-for headers are set by the client and would let anyone pick a fresh IP."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def limits(scope: str) -> tuple[int, int]:
    return getattr(settings, "EVALUATION_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


def allow(request, scope: str) -> bool:
    """Count this request; False once the client made more than the limit in the current window."""
    limit, window = limits(scope)
    now = int(time.time())
    key = f"evaluation:rl:{scope}:{client_ip(request)}:{now // window}"
    try:
        cache.add(key, 0, timeout=window + 5)
        count = cache.incr(key)
    except Exception:
        logger.warning("Rate limit %s: the cache failed; request allowed", scope, exc_info=True)
        return True
    return count <= limit
