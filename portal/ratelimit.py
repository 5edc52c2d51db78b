"""Fixed-window rate limits in Django's cache for the public report form and status page.

Counted per client address (``toolkit.client_address``: behind a trusted proxy the forwarded address,
never a header a stranger wrote; IPv6 per /64) and per link (a digest of its token), so junk sent to
other links cannot lock a customer out of their own, and one link cannot be hammered from many
addresses. If the cache fails (Redis down) the request is allowed and the failure logged: a customer's
report matters more than the limit.
"""

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

from toolkit.client_address import client_address, parse_address

logger = logging.getLogger(__name__)

# (requests, window in seconds); settings.PORTAL_RATE_LIMITS may override any of them.
DEFAULT_LIMITS = {
    "lookup": (120, 10 * 60),  # page views and posts of any portal link, per client address
    "report_submit": (10, 60 * 60),  # reports sent, per client address
    "message_submit": (30, 60 * 60),  # messages added on status pages, per client address
    "link": (120, 60 * 60),  # page views and posts of one link, from anywhere
}
IPV6_PREFIX = 64


def limits(scope: str) -> tuple[int, int]:
    return getattr(settings, "PORTAL_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


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
    cache_key = f"portal:rl:{scope}:{key}:{int(time.time()) // window}"
    try:
        cache.add(cache_key, 0, timeout=window + 5)
        count = cache.incr(cache_key)
    except Exception:
        logger.warning("Portal rate limit %s: the cache failed; request allowed", scope, exc_info=True)
        return True
    return count <= limit


def allow_request(request, token: str, *, submit_scope: str) -> bool:
    """One request to a portal link: within the address's and the link's limits, and for a POST the
    address's limit on submissions (``submit_scope``)."""
    address = address_key(request)
    if not allow("lookup", address) or not allow("link", token_key(token)):
        return False
    return request.method != "POST" or allow(submit_scope, address)
