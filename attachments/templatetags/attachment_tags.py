"""{% attachment_list files %} and {% attachment_upload %}: what other apps put in their templates.

``files`` is a list of attachments, e.g. ``attachments_for(objects)[target_key(obj)]``, or the
``attachments_of`` filter on a dict from attachments_for:
``{% attachment_list found|attachments_of:message %}``.
"""

from django import template
from django.conf import settings
from django.urls import reverse

from attachments import access
from attachments.forms import FIELD_NAME, REQUEST_MARGIN
from attachments.selectors import target_key

register = template.Library()


@register.filter
def attachments_of(found: dict, target) -> list:
    """The files of ``target`` in a dict made by attachments.selectors.attachments_for."""
    if not found or target is None:
        return []
    if hasattr(found, "of"):
        return found.of(target)
    return found.get(target_key(target), [])


class _Row:
    """One file of the list with its links (attachments/urls.py: <pk>/, <pk>/thumb, <pk>/delete)."""

    def __init__(self, file, can_delete: bool, prefix: str):
        self.file = file
        self.can_delete = can_delete
        self.download = f"{prefix}{file.pk}/"
        self.thumbnail = f"{prefix}{file.pk}/thumb"
        self.delete = f"{prefix}{file.pk}/delete"


@register.inclusion_tag("attachments/_list.html", takes_context=True)
def attachment_list(context, files, ticket=None, deletable=True, card=False):
    user = context["request"].user
    # One reverse() for the list, not three per file (a ticket's card may hold a hundred).
    prefix = reverse("attachments:download", kwargs={"pk": 0})[: -len("0/")]
    rows = []
    for attachment in files or []:
        owner_ticket = ticket
        if owner_ticket is None and attachment.ticket_id is not None:
            # Only when already loaded: a timeline's list must not fetch each file's ticket.
            owner_ticket = attachment.ticket if type(attachment).ticket.is_cached(attachment) else None
        can_delete = (
            deletable
            and (owner_ticket is not None or attachment.ticket_id is None)
            and access.can_delete(user, attachment, ticket=owner_ticket)
        )
        rows.append(_Row(attachment, can_delete, prefix))
    request = context["request"]
    # Back to this page after a delete, when it is a page (a fragment's URL may take only POSTs); else
    # the view goes back to the file's ticket or article.
    is_page = request.method == "GET" and not getattr(request, "htmx", False)
    return {
        "rows": rows,
        "next": request.get_full_path() if is_page else "",
        "csrf_token": context.get("csrf_token"),
        "card": card,
    }


@register.inclusion_tag("attachments/_upload.html")
def attachment_upload(field_id="attachments-files", label=None, suffix="", assets=True):
    """The file input (several files; drag and drop and paste with attachments.js) for inside a form
    with ``enctype="multipart/form-data"`` (and ``hx-encoding`` under htmx). ``suffix`` makes the id
    unique when the form repeats (one per task); ``assets=False`` when {% attachment_assets %} is on
    the page once already."""
    return {
        "field_name": FIELD_NAME,
        "field_id": f"{field_id}-{suffix}" if suffix != "" else field_id,
        "label": label,
        "max_bytes": settings.ATTACHMENT_MAX_BYTES,
        "max_request": settings.REQUEST_MAX_BYTES - REQUEST_MARGIN,
        "assets": assets,
    }


@register.inclusion_tag("attachments/_assets.html")
def attachment_assets():
    """attachments.css and attachments.js, for a page whose file inputs come from a form library."""
    return {}
