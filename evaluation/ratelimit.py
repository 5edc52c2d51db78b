"""A small fixed-window rate limit in Django's cache, for the public survey pages.

Counted per client address (``toolkit.client_address``: behind a trusted proxy the forwarded address,
never a header a stranger wrote) and per survey link, so that junk sent to other links — or, behind a
misconfigured proxy, from "everyone" — cannot lock a customer out of their own link. IPv6 clients are
counted per /64, the block one subscriber usually gets.

If the cache backend fails (Redis down), the request is allowed and the failure logged: a survey
answer matters more than the limit.
"""

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

from toolkit.client_address import client_address, parse_address

logger = logging.getLogger(__name__)

# (requests, window in seconds); settings.EVALUATION_RATE_LIMITS may override them.
DEFAULT_LIMITS = {
    "survey_lookup": (60, 10 * 60),  # page views and answers per client address
    "survey_submit": (10, 60 * 60),  # answers per client address
    "survey_token": (30, 60 * 60),  # page views and answers of one link, from anywhere
}
IPV6_PREFIX = 64


def limits(scope: str) -> tuple[int, int]:
    return getattr(settings, "EVALUATION_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


def address_key(request) -> str:
    address = client_address(request)
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return address


def token_key(token: str) -> str:
    # The cache never holds a usable token, only a digest of it.
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()[:32]


def allow(scope: str, key: str) -> bool:
    """Count one request for key; False once key made more than the scope's limit in this window."""
    limit, window = limits(scope)
    now = int(time.time())
    cache_key = f"evaluation:rl:{scope}:{key}:{now // window}"
    try:
        cache.add(cache_key, 0, timeout=window + 5)
        count = cache.incr(cache_key)
    except Exception:
        logger.warning("Rate limit %s: the cache failed; request allowed", scope, exc_info=True)
        return True
    return count <= limit


def allow_survey(request, token: str) -> bool:
    """One request to a survey link: within the address's and the link's limits (and, for an answer,
    the address's limit on answers)."""
    address = address_key(request)
    if not allow("survey_lookup", address) or not allow("survey_token", token_key(token)):
        return False
    return request.method != "POST" or allow("survey_submit", address)
