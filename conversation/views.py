"""The conversation card on the ticket page (reply, note: htmx posts that re-render the card) and the
canned-replies page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from toolkit.models import Ticket
from toolkit.privacy import can_see_contact_details, mask_contact_details

from . import selectors, services
from .forms import CannedReplyForm, MessageForm, placeholder_help
from .models import CannedReply

VIEW_TICKET = "toolkit.view_ticket"


# The card shows the newest entries; the rest come with "show all" (a long conversation would make
# every ticket page slow, mostly in rendering).
TIMELINE_SHOWN = 30


def panel_context(
    ticket, user, *, reply_form=None, note_form=None, notice="", active="reply", show_all=False
) -> dict:
    """What the card shows: the timeline, the two forms and the canned replies filled in for this ticket.

    A fixed number of queries (selectors.timeline, the canned replies, the contact)."""
    can_write = user.has_perm(services.WRITE_PERMISSION)
    address = services.contact_address(ticket)
    canned = []
    if can_write:
        canned = [
            {
                "pk": item.pk,
                "title": item.title,
                "shared": item.is_shared,
                "team": item.team.name if item.team is not None else "",
                "text": services.canned_reply_render(canned=item, ticket=ticket, engineer=user),
            }
            for item in selectors.canned_replies_for(user)
        ]
    language = services.contact_language(ticket)
    page = selectors.timeline_page(ticket, user, limit=None if show_all else TIMELINE_SHOWN)
    return {
        "conversation": {
            "timeline": page.items,
            "more": page.more,
            "can_write": can_write,
            "reply_form": reply_form or MessageForm(prefix="reply"),
            "note_form": note_form or MessageForm(prefix="note"),
            "canned": canned,
            "address": address
            if not address or can_see_contact_details(user, ticket)
            else mask_contact_details(address),
            "language": dict(settings.LANGUAGES).get(language, language),
            # File inputs only once the attachments app can take the files (attachments.services).
            "attachments": services.attachments_ready(),
            "notice": notice,
            "active": active,
        }
    }


def _ticket(number):
    return get_object_or_404(Ticket.objects.with_list_relations(), number=number)


def _card(request, ticket, *, status=200, **context):
    return render(
        request,
        "conversation/_card.html",
        {"ticket": ticket, **panel_context(ticket, request.user, **context)},
        status=status,
    )


def _post(request, number, *, kind):
    ticket = _ticket(number)
    form = MessageForm(request.POST, prefix=kind)
    write = services.reply_send if kind == "reply" else services.note_add
    if form.is_valid():
        try:
            message = write(
                ticket=ticket,
                body=form.cleaned_data["body"],
                by=request.user,
                files=services.uploaded_files(request),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            if kind == "note":
                notice = _("Internal note added.")
            elif message.email_status == "none":
                notice = _("Reply recorded; not e-mailed: the contact has no e-mail address.")
            else:
                notice = _("Reply sent to the customer.")
            if request.htmx:
                return _card(request, ticket, notice=notice, active=kind)
            messages.success(request, notice)
            return redirect(ticket)
    forms = {"reply_form": form} if kind == "reply" else {"note_form": form}
    if request.htmx:
        return _card(request, ticket, active=kind, **forms)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(ticket)


@require_POST
@permission_required(services.WRITE_PERMISSION, raise_exception=True)
def reply(request, number):
    return _post(request, number, kind="reply")


@require_POST
@permission_required(services.WRITE_PERMISSION, raise_exception=True)
def note(request, number):
    return _post(request, number, kind="note")


@require_GET
@permission_required(VIEW_TICKET, raise_exception=True)
def card(request, number):
    """The card alone under htmx (refresh, "show all"); without JavaScript a page around it."""
    ticket, show_all = _ticket(number), request.GET.get("all") == "1"
    if request.htmx:
        return _card(request, ticket, show_all=show_all)
    context = {"ticket": ticket, **panel_context(ticket, request.user, show_all=show_all)}
    return render(request, "conversation/page.html", context)


# ---------------------------------------------------------------- canned replies


def _canned_page(request, *, form, editing=None, status=200):
    items = list(selectors.canned_replies_for(request.user))
    for item in items:
        item.editable = services.can_edit_canned(request.user, item)
    context = {"items": items, "form": form, "editing": editing, "placeholders": placeholder_help()}
    return render(request, "conversation/canned.html", context, status=status)


def _save_canned(request, *, form, canned=None):
    if form.is_valid():
        try:
            services.canned_reply_save(
                by=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                shared=form.cleaned_data.get("shared", False),
                team=form.cleaned_data.get("team"),
                canned=canned,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Canned reply saved."))
            return redirect("conversation:canned")
    return _canned_page(request, form=form, editing=canned, status=400)


@permission_required(services.WRITE_PERMISSION, raise_exception=True)
def canned_list(request):
    may_share, teams = services.can_manage_shared(request.user), services.canned_teams_for(request.user)
    if request.method == "POST":
        return _save_canned(request, form=CannedReplyForm(request.POST, may_share=may_share, teams=teams))
    return _canned_page(request, form=CannedReplyForm(may_share=may_share, teams=teams))


@permission_required(services.WRITE_PERMISSION, raise_exception=True)
def canned_edit(request, pk):
    canned = get_object_or_404(CannedReply, pk=pk)
    services.ensure_can_edit_canned(request.user, canned)
    may_share, teams = services.can_manage_shared(request.user), services.canned_teams_for(request.user)
    if request.method == "POST":
        form = CannedReplyForm(request.POST, instance=canned, may_share=may_share, teams=teams)
        return _save_canned(request, form=form, canned=canned)
    form = CannedReplyForm(instance=canned, may_share=may_share, teams=teams)
    return _canned_page(request, form=form, editing=canned)


@require_POST
@permission_required(services.WRITE_PERMISSION, raise_exception=True)
def canned_delete(request, pk):
    canned = get_object_or_404(CannedReply, pk=pk)
    services.canned_reply_delete(by=request.user, canned=canned)
    messages.success(request, _("Canned reply deleted."))
    return redirect("conversation:canned")
