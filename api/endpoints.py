"""The REST API (/api/v1/): django-ninja operations over the same selectors, forms and services as
the pages, so permissions, validation, masking, events and history are one rule, not two.

Authentication is a personal token only (``Authorization: Bearer …``): no session, so no CSRF to
check. Every answer other than a success is JSON ``{"detail": …, "errors": {field: [messages]}}`` in
the language of ``Accept-Language``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Header, NinjaAPI, Query, Router, Status, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from toolkit import ratelimit
from toolkit.choices import ViewSurface
from toolkit.models import Customer, Ticket

from . import history, schemas, selectors, services

VIEW_TICKET = "toolkit.view_ticket"
ADD_TICKET = "toolkit.add_ticket"
CHANGE_TICKET = "toolkit.change_ticket"
VIEW_CUSTOMER = "toolkit.view_customer"
VIEW_CONTACT = "toolkit.view_contact"


class RateLimited(HttpError):
    def __init__(self) -> None:
        super().__init__(429, "rate limited")


class BearerToken(HttpBearer):
    """A live personal token; its user becomes request.user. Counted against the token's rate limit."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = services.api_token_authenticate(token)
        if api_token is None:
            return None
        if not ratelimit.allow(
            "api", "token", str(api_token.pk), limit=services.rate_limit_per_minute(), window=60
        ):
            raise RateLimited()
        if request.method not in ("GET", "HEAD", "OPTIONS") and not api_token.can_write:
            # Before the body is read: a read token never learns more from a write than "no".
            raise PermissionDenied(_("This token may only read; make a token with the write scope."))
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


class LocalSwagger(Swagger):
    """Swagger UI from ninja's bundled files (STATICFILES_DIRS / TEMPLATES in settings): ninja renders
    its CDN page unless "ninja" is an installed app, and listing it would load ninja in every web worker."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings, indent=1), "api": api, "add_csrf": False}
        return render(request, self.template, context)


api = NinjaAPI(
    title="Service Toolkit API",
    version="1",
    description=(
        "Personal access tokens (scope read or write) are made on the API tokens page or with "
        "`python manage.py api_token USERNAME [--write] [--days N]`; send `Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    auth=BearerToken(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=LocalSwagger(settings={"persistAuthorization": False}),
)


# ---------------------------------------------------------------- errors


def _error(request, status: int, detail: str, errors: dict[str, list[str]] | None = None):
    return api.create_response(request, {"detail": detail, "errors": errors or {}}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    response = _error(request, 401, _("A valid API token is needed: send Authorization: Bearer <token>."))
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request, exc):
    response = _error(request, 429, _("Too many requests with this token; wait a minute and try again."))
    response["Retry-After"] = "60"
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, str(exc) or _("You may not do this."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return _error(request, exc.status_code, str(exc))


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for m in DjangoValidationError(errs).messages]
            for field, errs in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


@api.exception_handler(DjangoValidationError)
def _invalid(request, exc):
    return _error(request, 422, _("The request has errors."), _django_errors(exc))


def _pydantic_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith("int"):
        return _("Enter a whole number.")
    if kind.startswith("bool"):
        return _("Enter true or false.")
    if kind.startswith("json") or kind.startswith("model"):
        return _("The body must be a JSON object.")
    return _("Enter a valid value.")


@api.exception_handler(NinjaValidationError)
def _invalid_request(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "payload", "file", "form", "path")
        ]
        errors.setdefault(".".join(location) or "__all__", []).append(_pydantic_message(error))
    return _error(request, 422, _("The request has errors."), errors)


class _Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors


@api.exception_handler(_Invalid)
def _invalid_form(request, exc):
    return _error(request, 422, _("The request has errors."), exc.errors)


def _form_errors(form) -> dict[str, list[str]]:
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


# ---------------------------------------------------------------- access


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(_("Your role may not do this."))


def writes(view):
    """A write: only a write-scoped token, and everything it records is marked "via API"."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.auth.can_write:
            raise PermissionDenied(_("This token may only read; make a token with the write scope."))
        with history.via_api():
            return view(request, *args, **kwargs)

    return wrapper


def _ticket(number: str) -> Ticket:
    try:
        return selectors.ticket_for_api(number)
    except Ticket.DoesNotExist:
        raise Http404 from None


def _seen(request, tickets, surface) -> None:
    from toolkit.audit import contact_details_viewed

    contact_details_viewed(user=request.user, tickets=tickets, surface=surface)


# ---------------------------------------------------------------- tickets

tickets = Router(tags=["tickets"])


class TicketQuery(schemas.Schema):
    """The table's filters (same names, same values) plus the cursor."""

    priority: list[str] = []
    problem_type: list[str] = []
    source: str = ""
    stage: str = ""
    owner: str = ""
    customer: str = ""
    occurred_after: str = ""
    occurred_before: str = ""
    q: str = ""
    sla: str = ""
    sort: str = ""
    cursor: str = ""
    limit: int = selectors.PAGE_SIZE


@tickets.get("/tickets", response=schemas.TicketPageOut, summary="List tickets (the table's filters)")
def ticket_list(request, params: Query[TicketQuery]):
    _require(request, VIEW_TICKET)
    if not 1 <= params.limit <= selectors.MAX_PAGE_SIZE:
        raise _Invalid({"limit": [_("Between 1 and %(max)d.") % {"max": selectors.MAX_PAGE_SIZE}]})
    data = request.GET.copy()
    for name in ("cursor", "limit"):
        data.pop(name, None)
    filterset = selectors.ticket_filter(data=data, request=request)
    if not filterset.is_valid():
        raise _Invalid(_form_errors(filterset.form))
    try:
        page = selectors.ticket_page(filterset, cursor=params.cursor, limit=params.limit)
    except selectors.BadCursor:
        raise _Invalid({"cursor": [_("This cursor is not valid for this query.")]}) from None
    _seen(request, page.tickets, ViewSurface.TABLE)
    # Written straight to JSON: the rows are built by ticket_data (the shape TicketPageOut documents and
    # the tests check); validating 500 rows again through pydantic took a third of a page's time.
    return JsonResponse(
        {
            "results": [selectors.ticket_data(ticket, request.user) for ticket in page.tickets],
            "next_cursor": page.next_cursor,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@tickets.get("/tickets/{number}", response=schemas.TicketOut, summary="Read one ticket")
def ticket_read(request, number: str):
    _require(request, VIEW_TICKET)
    ticket = _ticket(number)
    _seen(request, [ticket], ViewSurface.PAGE)
    return selectors.ticket_data(ticket, request.user)


def _intake_data(payload: schemas.TicketIn) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in payload.dict().items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    owner = payload.owner.strip()
    if owner:
        user = get_user_model().objects.filter(username=owner).first()
        data["owner"] = str(user.pk) if user else "-1"
    else:
        data.pop("owner", None)
    return data


@tickets.post(
    "/tickets",
    response={201: schemas.TicketOut},
    summary="Create a ticket (the intake form's validation; Idempotency-Key for retries)",
)
@writes
def ticket_create(
    request, payload: schemas.TicketIn, idempotency_key: str = Header("", alias="Idempotency-Key")
):
    from diagnosis.forms import IntakeForm
    from diagnosis.services import intake_create

    _require(request, ADD_TICKET)

    def make():
        form = IntakeForm(_intake_data(payload), user=request.user)
        if not form.is_valid():
            raise _Invalid(_form_errors(form))
        ticket = intake_create(user=request.user, data=form.cleaned_data)
        return 201, _json(selectors.ticket_data(selectors.ticket_for_api(ticket.number), request.user))

    if len(idempotency_key) > 200:
        raise _Invalid({"Idempotency-Key": [_("At most 200 characters.")]})
    if not idempotency_key.strip():
        with transaction.atomic():
            status, body = make()
        return Status(status, body)
    try:
        status, body, _replayed = services.idempotent(
            user=request.user, key=idempotency_key, path=request.path, make=make
        )
    except services.IdempotencyConflict:
        raise _Invalid({"Idempotency-Key": [_("This key was used for another request.")]}) from None
    return Status(status, body)


def _json(data: dict) -> dict:
    """The answer as JSON values (kept for a retried POST)."""
    return schemas.TicketOut(**data).model_dump(mode="json")


def _edit_data(ticket: Ticket, form_class, changes: dict, user) -> QueryDict:
    """The edit form's data: the ticket's current values, with the changes on top (a PATCH).

    Built from the form as ``user`` gets it, so the fields it may edit carry their real values (the
    masked ones are not there at all) and an omitted field is never blanked.
    """
    form = form_class(instance=ticket, user=user)
    data = QueryDict(mutable=True)
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name, field.initial)
        if hasattr(value, "pk"):
            value = value.pk
        if name == "occurred_at" and value:
            from django.utils import timezone

            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, bool) or name in ("peak_time", "judgement_unverified"):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    for name, value in changes.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            else:
                data.pop(name, None)
        else:
            data[name] = str(value)
    return data


@tickets.patch(
    "/tickets/{number}", response=schemas.TicketOut, summary="Change a ticket (the edit page's fields)"
)
@writes
def ticket_update(request, number: str, payload: schemas.TicketPatch):
    from diagnosis.forms import TicketEditForm
    from toolkit import services as core

    _require(request, CHANGE_TICKET)
    ticket = _ticket(number)
    changes = payload.dict(exclude_unset=True)
    if "owner" in changes:
        user = get_user_model().objects.filter(username=changes["owner"] or "").first()
        changes["owner"] = user.pk if user else -1
    form = TicketEditForm(
        _edit_data(ticket, TicketEditForm, changes, request.user), instance=ticket, user=request.user
    )
    refused = [name for name in changes if name not in form.fields or form.fields[name].disabled]
    if refused:
        raise PermissionDenied(
            _("You may not change these fields: %(fields)s.") % {"fields": ", ".join(sorted(refused))}
        )
    if not form.is_valid():
        raise _Invalid(_form_errors(form))
    updates = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
    updates.pop("reassign_reason", None)
    updates["suggested_priority"] = form.cleaned_data["suggested_priority"]
    updates["priority_override_reason"] = form.cleaned_data.get("priority_override_reason", "")
    core.ticket_update(
        ticket=Ticket.objects.get(pk=ticket.pk),
        by=request.user,
        reason=form.cleaned_data.get("reassign_reason", ""),
        **updates,
    )
    return selectors.ticket_data(selectors.ticket_for_api(number), request.user)


@tickets.post("/tickets/{number}/stage", response=schemas.TicketOut, summary="Change the stage")
@writes
def ticket_stage(request, number: str, payload: schemas.StageIn):
    from toolkit import services as core

    _require(request, CHANGE_TICKET)
    ticket = _ticket(number)
    from toolkit.choices import Stage

    if payload.to_stage not in Stage.values:
        raise _Invalid({"to_stage": [_("Select a valid choice.")]})
    kwargs: dict[str, Any] = {"back": payload.back}
    if payload.resolution:
        kwargs["resolution"] = payload.resolution
    core.ticket_change_stage(
        ticket=Ticket.objects.get(pk=ticket.pk),
        to_stage=payload.to_stage,
        reason=payload.reason,
        by=request.user,
        **kwargs,
    )
    return selectors.ticket_data(selectors.ticket_for_api(number), request.user)


def _message_data(message, viewer, ticket) -> dict:
    from toolkit.privacy import free_text_for

    return {
        "id": message.pk,
        "kind": message.kind,
        "channel": message.channel,
        "body": free_text_for(viewer, ticket, message.body),
        "created_at": message.created_at,
        "author": selectors._person(message.author) if message.author_id else None,
    }


@tickets.post("/tickets/{number}/notes", response={201: schemas.MessageOut}, summary="Add an internal note")
@writes
def note_add(request, number: str, payload: schemas.MessageIn):
    from conversation import services as conversation
    from conversation.choices import MessageChannel

    ticket = _ticket(number)
    message = conversation.note_add(
        ticket=ticket, body=payload.body, by=request.user, channel=MessageChannel.API
    )
    return Status(201, _message_data(message, request.user, ticket))


@tickets.post(
    "/tickets/{number}/replies", response={201: schemas.MessageOut}, summary="Send a reply to the customer"
)
@writes
def reply_send(request, number: str, payload: schemas.MessageIn):
    from conversation import services as conversation
    from conversation.choices import MessageChannel

    ticket = _ticket(number)
    message = conversation.reply_send(
        ticket=ticket, body=payload.body, by=request.user, channel=MessageChannel.API
    )
    return Status(201, _message_data(message, request.user, ticket))


def _attachment_data(attachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type_detected,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": attachment.uploaded_at,
        "download_url": reverse(
            "api:attachment_download",
            kwargs={"number": attachment.ticket.number, "attachment_id": attachment.pk},
        ),
    }


attachments_router = Router(tags=["attachments"])


@attachments_router.get(
    "/tickets/{number}/attachments", response=list[schemas.AttachmentOut], summary="List a ticket's files"
)
def attachment_list(request, number: str):
    from attachments import access
    from attachments.selectors import ticket_attachments

    ticket = _ticket(number)
    if not access.can_view_ticket_files(request.user, ticket):
        raise PermissionDenied(_("Your role may not do this."))
    return [_attachment_data(a) for a in ticket_attachments(ticket).select_related("ticket")]


@attachments_router.post(
    "/tickets/{number}/attachments",
    response={201: list[schemas.AttachmentOut]},
    summary="Attach files (the same type and size checks as the page)",
)
@writes
def attachment_add(request, number: str, files: File[list[UploadedFile]]):
    from attachments import access
    from attachments.services import attachments_add

    ticket = _ticket(number)
    if not access.can_attach(request.user, ticket=ticket):
        raise PermissionDenied(_("You may not attach files here."))
    created = attachments_add(ticket=ticket, files=files, by=request.user)
    return Status(201, [_attachment_data(a) for a in created])


@attachments_router.get(
    "/tickets/{number}/attachments/{attachment_id}",
    summary="Download one file",
    url_name="attachment_download",
    response={200: None},
)
def attachment_download(request, number: str, attachment_id: int):
    from attachments import access
    from attachments.models import Attachment
    from attachments.views import attachment_response

    attachment = Attachment.objects.live().filter(pk=attachment_id, ticket__number=number).first()
    if attachment is None:
        raise Http404
    if not access.can_view(request.user, attachment):
        raise PermissionDenied(_("Your role may not do this."))
    return attachment_response(attachment)


# ---------------------------------------------------------------- SLA and the chapters' records

records = Router(tags=["ticket records"])


@records.get(
    "/tickets/{number}/sla", response=schemas.SlaStateOut, summary="The ticket's SLA state and targets"
)
def ticket_sla(request, number: str):
    _require(request, VIEW_TICKET)
    ticket = _ticket(number)
    return {"state": ticket.sla_state, "due_at": ticket.sla_due_at, "targets": selectors.sla_data(ticket)}


@records.get(
    "/tickets/{number}/requirements",
    response=schemas.RecordsOut,
    summary="Requirement items, ranked (chapter 2)",
)
def ticket_requirements(request, number: str):
    from requirements_analysis import selectors as requirements

    ticket = _ticket(number)
    if not requirements.user_can_read(request.user, ticket):
        raise PermissionDenied(_("Your role may not do this."))
    rows = []
    for item in requirements.ranked_items(ticket):
        data = selectors.record_data(item, request.user, ticket)
        data["score"] = str(item.rank_score)
        rows.append(data)
    return {"results": rows}


@records.get(
    "/tickets/{number}/options",
    response=schemas.RecordsOut,
    summary="Solution options, best first (chapter 3)",
)
def ticket_options(request, number: str):
    from solutions import selectors as solutions

    _require(request, solutions.VIEW_PERMISSION)
    ticket = _ticket(number)
    rows = []
    for option in solutions.options_ranked(ticket):
        data = selectors.record_data(option, request.user, ticket)
        data["weighted_total"] = str(solutions.weighted_total(option.weighted_sum))
        rows.append(data)
    return {"results": rows}


@records.get(
    "/tickets/{number}/tasks", response=schemas.RecordsOut, summary="Implementation tasks (chapter 4)"
)
def ticket_tasks(request, number: str):
    from tracking import selectors as tracking

    _require(request, tracking.VIEW_PERMISSION)
    ticket = _ticket(number)
    return {
        "results": [selectors.record_data(task, request.user, ticket) for task in tracking.tasks_of(ticket)]
    }


@records.get(
    "/tickets/{number}/evaluation",
    response=schemas.EvaluationOut,
    summary="Verification and results (chapter 5)",
)
def ticket_evaluation(request, number: str):
    from dataclasses import asdict

    from evaluation import selectors as evaluation

    _require(request, evaluation.VIEW_PERMISSION)
    ticket = _ticket(number)
    verification = evaluation.verification_of(ticket)
    results = asdict(evaluation.ticket_results(ticket))
    results = {name: selectors._plain(value) for name, value in results.items()}
    if "comment" in results:
        from toolkit.privacy import free_text_for

        results["comment"] = free_text_for(request.user, ticket, results["comment"])
    return {
        "verification": selectors.record_data(verification, request.user, ticket) if verification else None,
        "results": results,
    }


# ---------------------------------------------------------------- customers, contacts, knowledge

directory = Router(tags=["customers and knowledge"])


@directory.get("/customers", response=list[schemas.CustomerOut], summary="Customers (q: part of the name)")
def customer_list(request, q: str = "", offset: int = 0, limit: int = 100):
    _require(request, VIEW_CUSTOMER)
    if not (offset >= 0 and 1 <= limit <= 500):
        raise _Invalid({"limit": [_("Enter a valid value.")]})
    return [selectors.customer_data(c) for c in selectors.customers(q=q[:200])[offset : offset + limit]]


@directory.get("/customers/{customer_id}", response=schemas.CustomerOut, summary="One customer")
def customer_read(request, customer_id: int):
    _require(request, VIEW_CUSTOMER)
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return selectors.customer_data(customer)


@directory.get(
    "/customers/{customer_id}/contacts",
    response=list[schemas.ContactOut],
    summary="A customer's contacts (masked without the contact-details permission)",
)
def contact_list(request, customer_id: int):
    _require(request, VIEW_CONTACT)
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return [selectors.contact_data(c, request.user) for c in selectors.contacts_of(customer)]


@directory.get("/knowledge/search", response=list[schemas.ArticleOut], summary="Search published articles")
def knowledge_search(request, q: str = ""):
    from knowledge import selectors as knowledge

    _require(request, "knowledge.view_article")
    page = knowledge.article_page(q=q[:200])
    return [
        {"id": a.pk, "title": a.title, "type": a.type, "status": a.status, "url": a.get_absolute_url()}
        for a in page
    ]


api.add_router("", tickets)
api.add_router("", attachments_router)
api.add_router("", records)
api.add_router("", directory)
