"""The report form's and status page's rate limits (toolkit.ratelimit): per client address and per
link, so one link cannot be hammered from many addresses nor a customer locked out of their own."""

from django.conf import settings

from toolkit.ratelimit import address_key, token_key
from toolkit.ratelimit import allow as _allow

# (requests, window in seconds); settings.PORTAL_RATE_LIMITS may override any of them.
DEFAULT_LIMITS = {
    "lookup": (120, 10 * 60),  # page views and posts of any portal link, per client address
    "report_submit": (10, 60 * 60),  # reports sent, per client address
    "message_submit": (30, 60 * 60),  # messages added on status pages, per client address
    "link": (120, 60 * 60),  # page views and posts of one link, from anywhere
}


def limits(scope: str) -> tuple[int, int]:
    return getattr(settings, "PORTAL_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


def allow(scope: str, key: str) -> bool:
    limit, window = limits(scope)
    return _allow("portal", scope, key, limit=limit, window=window)


def allow_request(request, token: str, *, submit_scope: str) -> bool:
    """One request to a portal link: within the address's and the link's limits, and for a POST the
    address's limit on submissions (``submit_scope``)."""
    address = address_key(request)
    if not allow("lookup", address) or not allow("link", token_key(token)):
        return False
    return request.method != "POST" or allow(submit_scope, address)
