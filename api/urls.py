"""/api/v1/ (the API, its OpenAPI document and its docs page) and /api/tokens/ (the tokens page)."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import URLPattern, URLResolver
from django.utils import translation
from django.utils.translation import gettext as _

from .endpoints import api
from .services import api_token_authenticate

VIEW_TICKET = "toolkit.view_ticket"


def _language_from_header(view):
    """The API speaks the language of Accept-Language (the pages use the language switch instead)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        if request.content_type == "application/json" and (
            b"\\u0000" in request.body or b"\x00" in request.body
        ):
            # NulByteGuardMiddleware reads form fields only; PostgreSQL cannot store or compare a NUL.
            return JsonResponse(
                {"detail": _("The request contains a NUL character, which is never valid."), "errors": {}},
                status=400,
            )
        return view(request, *args, **kwargs)

    # Token-authenticated: the login middleware's redirect is not for API clients (401 instead).
    wrapper.login_required = False  # type: ignore[attr-defined]
    return wrapper


def _docs_guard(view):
    """The docs page and the OpenAPI document: a signed-in person with the ticket role, or a token."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer ") and api_token_authenticate(header[7:]) is not None:
            return view(request, *args, **kwargs)
        if request.user.is_authenticated:
            if request.user.has_perm(VIEW_TICKET):
                return view(request, *args, **kwargs)
            return JsonResponse({"detail": _("Your role may not do this."), "errors": {}}, status=403)
        if request.path.endswith(".json"):
            return JsonResponse(
                {
                    "detail": _("A valid API token is needed: send Authorization: Bearer <token>."),
                    "errors": {},
                },
                status=401,
            )
        return redirect_to_login(request.get_full_path())

    return wrapper


api.docs_decorator = _docs_guard


def _wrapped(patterns):
    for entry in patterns:
        if isinstance(entry, URLPattern):
            entry.callback = _language_from_header(entry.callback)
        elif isinstance(entry, URLResolver):
            _wrapped(entry.url_patterns)
    return patterns


# Included as namespace "api" (toolkit/urls.py), the namespace the operations' url names live in.
app_name = "api"
urlpatterns = _wrapped(api.urls[0])
