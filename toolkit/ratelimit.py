"""Fixed-window rate limits in Django's cache, for the public token pages (survey, report form, status).

Counted per client address (``toolkit.client_address``: behind a trusted proxy the forwarded address,
never a header a stranger wrote; IPv6 per /64, the block one subscriber usually gets) and per link (a
digest of its token), so junk sent to other links cannot lock a customer out of their own. If the cache
fails (Redis down) the request is allowed and the failure logged: the customer's answer or report
matters more than the limit.
"""

import hashlib
import ipaddress
import logging
import time

from django.core.cache import cache

from toolkit.client_address import client_address, parse_address

logger = logging.getLogger(__name__)

IPV6_PREFIX = 64


def address_key(request) -> str:
    address = client_address(request)
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return address


def token_key(token: str) -> str:
    # The cache never holds a usable token, only a digest of it.
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()[:32]


def allow(namespace: str, scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one request for key; False once key made more than ``limit`` in this ``window`` (seconds)."""
    cache_key = f"{namespace}:rl:{scope}:{key}:{int(time.time()) // window}"
    try:
        cache.add(cache_key, 0, timeout=window + 5)
        count = cache.incr(cache_key)
    except Exception:
        logger.warning("Rate limit %s:%s: the cache failed; request allowed", namespace, scope, exc_info=True)
        return True
    return count <= limit
