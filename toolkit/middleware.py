from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.locale import LocaleMiddleware
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

# Where toolkit/urls.py mounts the REST API: its refusals here are JSON, as the API's own are.
API_PATH = "/api/v1/"


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """The language is the one chosen with the switch (cookie), else zh-hans.

    Django's own middleware would follow the browser's Accept-Language; the team works in Chinese,
    so an English browser still starts in Chinese and English is one click away.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = dict(settings.LANGUAGES)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than settings.REQUEST_MAX_BYTES (413), before
    anything reads it: the proxy's limit may be missing or larger, and a worker should not spend
    memory or disk on a body it will refuse. (A body without Content-Length reads as empty in WSGI.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(
                request, HttpResponseBadRequest, lambda: _("The request's Content-Length is not a number.")
            )
        if length > settings.REQUEST_MAX_BYTES:
            return _refusal(
                request,
                _RequestTooLarge,
                lambda: (
                    _("The request is too large: at most %(size)s may be sent at once.")
                    % {"size": filesizeformat(settings.REQUEST_MAX_BYTES)}
                ),
            )
        return self.get_response(request)


class NulByteGuardMiddleware:
    """Answer 400 when the path, a query-string or a form parameter (name or value) holds a NUL byte.

    PostgreSQL cannot store or compare text containing NUL and fails the query, so every view would
    otherwise need its own check; no legitimate form or link sends one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            found = "\x00" in request.path or _has_nul(request.GET) or _has_nul(request.POST)
        except MultiPartParserError:
            return _refusal(request, HttpResponseBadRequest, lambda: _("The form data could not be read."))
        if found:
            return _refusal(
                request,
                HttpResponseBadRequest,
                lambda: _("The request contains a NUL character, which is never valid."),
            )
        return self.get_response(request)


class _RequestTooLarge(HttpResponse):
    status_code = 413


def _has_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in params.lists())


def _refusal(request, response_class, message) -> HttpResponse:
    """The refusal ``message()`` (called in the right language): for an API client JSON as the API's
    own errors are, in the language of its Accept-Language; else plain text, which the htmx fragments
    and the pages both show as it is."""
    if request.path.startswith(API_PATH):
        with translation.override(translation.get_language_from_request(request)):
            return JsonResponse({"detail": message(), "errors": {}}, status=response_class.status_code)
    return response_class(message(), content_type="text/plain; charset=utf-8")
