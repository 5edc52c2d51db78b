"""Downloading, previewing, uploading and deleting attachments. Every file is served by these views
after a permission check; none has a public URL."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from toolkit.models import Ticket

from . import access, selectors, services
from .forms import FIELD_NAME, DeleteForm
from .models import Attachment
from .storage import attachment_storage
from .thumbnails import thumbnail_of

logger = logging.getLogger(__name__)

# Served files are data, never a page: no script, no plug-in, nothing loaded, even if a browser sniffed.
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _protect(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def attachment_response(attachment: Attachment) -> HttpResponse:
    """The file as a download (``Content-Disposition: attachment``), or inline for the safe raster image
    types (PNG, JPEG, GIF, WebP), with ``nosniff``. The caller has checked who may have it: the
    permission-checked view below, or a customer's token page for a file of their own ticket."""
    if attachment.is_deleted or not attachment.file.name:
        raise Http404
    try:
        handle = attachment_storage().open(attachment.file.name, "rb")
    except OSError:
        logger.error(
            "Attachment %s: its file %s is missing from the storage", attachment.pk, attachment.file.name
        )
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not attachment.is_inline_image,
        filename=attachment.original_name,
        content_type=attachment.content_type_detected,
    )
    return _protect(response)


def _visible(request, pk) -> Attachment:
    attachment = get_object_or_404(Attachment.objects.select_related("ticket"), pk=pk)
    if not access.can_view(request.user, attachment):
        raise PermissionDenied
    return attachment


@require_GET
def download(request, pk):
    attachment = _visible(request, pk)
    if attachment.is_deleted:
        return HttpResponse(_("This file was deleted."), status=410, content_type="text/plain; charset=utf-8")
    return attachment_response(attachment)


@require_GET
def thumbnail(request, pk):
    name = thumbnail_of(_visible(request, pk))
    if name is None:
        raise Http404
    try:
        handle = attachment_storage().open(name, "rb")
    except OSError:
        raise Http404 from None
    return _protect(FileResponse(handle, content_type="image/webp"))


# The ticket page's card shows the newest files; the rest come on request (a card of 50 files cost ~36 ms
# of CPU and 66 KB of HTML on every view of the ticket).
CARD_LIMIT = 12


def ticket_card_context(ticket: Ticket, user, *, show_all: bool = False) -> dict:
    """The ticket page's attachments card: the ticket's files (one query) and the upload form.

    Files on the ticket itself first, then those on its clarifications, messages, progress entries …
    under the kind's name; only the newest CARD_LIMIT unless ``show_all``."""
    files = list(selectors.ticket_attachments(ticket))
    shown = files if show_all else files[-CARD_LIMIT:]
    groups: dict[int | None, list[Attachment]] = {None: []}
    for attachment in shown:
        groups.setdefault(attachment.content_type_id, []).append(attachment)
    labels = {a.content_type_id: _kind_label(a) for a in shown if a.content_type_id is not None}
    return {
        "attachments_ticket": ticket,
        "ticket_files": files,
        "hidden_count": len(files) - len(shown),
        "file_groups": [(labels.get(key, ""), group) for key, group in groups.items() if group],
        "can_attach": access.can_attach(user, ticket=ticket),
    }


def _kind_label(attachment: Attachment) -> str:
    model = attachment.content_type.model_class() if attachment.content_type else None
    return capfirst(model._meta.verbose_name_plural) if model is not None else ""


@require_GET
def ticket_files(request, number):
    """Every file of the ticket: the card in full (htmx), or a page of its own without JavaScript."""
    ticket = get_object_or_404(Ticket, number=number)
    if not access.can_view_ticket_files(request.user, ticket):
        raise PermissionDenied
    context = {"ticket": ticket, **ticket_card_context(ticket, request.user, show_all=True)}
    template = "attachments/_ticket_card.html" if request.htmx else "attachments/ticket_files.html"
    return render(request, template, context)


def _card(request, ticket: Ticket, errors=()):
    context = {"ticket": ticket, "upload_errors": list(errors), **ticket_card_context(ticket, request.user)}
    return render(request, "attachments/_ticket_card.html", context)


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


@require_POST
def ticket_upload(request, number):
    ticket = get_object_or_404(Ticket, number=number)
    if not access.can_attach(request.user, ticket=ticket):
        raise PermissionDenied  # before reading anything, files or not (the service checks again)
    errors: list[str] = []
    files = request.FILES.getlist(FIELD_NAME)
    if not files:
        errors = [_("Choose, drop or paste at least one file.")]
    else:
        try:
            added = services.attachments_add(ticket=ticket, files=files, by=request.user)
        except ValidationError as error:
            errors = _errors(error)
        else:
            if not request.htmx:
                messages.success(request, _("%(count)d files attached.") % {"count": len(added)})
    if request.htmx:
        return _card(request, ticket, errors)
    for message in errors:
        messages.error(request, message)
    return redirect(ticket)


@require_POST
def delete(request, pk):
    attachment = _visible(request, pk)
    form = DeleteForm(request.POST)
    errors: list[str] = []
    if not form.is_valid():
        errors = [_("Say why the file is deleted.")]
    else:
        try:
            services.attachment_delete(
                attachment=attachment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors = _errors(error)
    if request.htmx and attachment.ticket is not None and request.POST.get("card"):
        return _card(request, attachment.ticket, errors)
    for message in errors:
        messages.error(request, message)
    if not errors:
        messages.success(request, _("File “%(name)s” deleted.") % {"name": attachment.original_name})
    return redirect(_back(request, attachment))


def _back(request, attachment: Attachment) -> str:
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=False
    ):
        return back
    if attachment.ticket is not None:
        return attachment.ticket.get_absolute_url()
    target = attachment.target
    return target.get_absolute_url() if hasattr(target, "get_absolute_url") else "/"


@require_POST
def article_upload(request, pk):
    from knowledge.models import Article  # only this view knows about articles; knowledge is optional

    article = get_object_or_404(Article, pk=pk)
    if not access.can_view_article(request.user, article):
        raise Http404
    if not access.can_attach(request.user, ticket=None, target=article):
        raise PermissionDenied
    try:
        added = services.attachments_add(
            ticket=None, target=article, files=request.FILES.getlist(FIELD_NAME), by=request.user
        )
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        if added:
            messages.success(request, _("%(count)d files attached.") % {"count": len(added)})
        else:
            messages.error(request, _("Choose, drop or paste at least one file."))
    return redirect(article.get_absolute_url())
