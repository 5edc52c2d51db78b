"""The public survey pages' rate limits (toolkit.ratelimit): per client address and per survey link,
so that junk sent to other links — or, behind a misconfigured proxy, from "everyone" — cannot lock a
customer out of their own link."""

from django.conf import settings

from toolkit.ratelimit import address_key, token_key
from toolkit.ratelimit import allow as _allow

# (requests, window in seconds); settings.EVALUATION_RATE_LIMITS may override them.
DEFAULT_LIMITS = {
    "survey_lookup": (60, 10 * 60),  # page views and answers per client address
    "survey_submit": (10, 60 * 60),  # answers per client address
    "survey_token": (30, 60 * 60),  # page views and answers of one link, from anywhere
}


def limits(scope: str) -> tuple[int, int]:
    return getattr(settings, "EVALUATION_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


def allow(scope: str, key: str) -> bool:
    limit, window = limits(scope)
    return _allow("evaluation", scope, key, limit=limit, window=window)


def allow_survey(request, token: str) -> bool:
    """One request to a survey link: within the address's and the link's limits (and, for an answer,
    the address's limit on answers)."""
    address = address_key(request)
    if not allow("survey_lookup", address) or not allow("survey_token", token_key(token)):
        return False
    return request.method != "POST" or allow("survey_submit", address)
