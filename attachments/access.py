"""Who may see, attach and delete files: the object-level rules, in one place (services enforce them,
views and templates ask them).

- A ticket's files (and those of anything on it) are for the service team: whoever may view tickets
  (toolkit.view_ticket) may see them; whoever may work tickets (toolkit.change_ticket) may attach.
- A knowledge article's files follow the article: seen by whoever may read that article in its status,
  attached by whoever may edit it (knowledge's own rules, asked through its selectors and services).
- A file is deleted by whoever uploaded it, the ticket's owner, or a manager (an article's: whoever
  may edit the article).
- Customers have no account: the portal serves their ticket's customer-visible files itself through
  ``attachments.views.attachment_response`` after checking its token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit import permissions

if TYPE_CHECKING:
    from toolkit.models import Ticket

    from .models import Attachment

VIEW_TICKET = "toolkit.view_ticket"
CHANGE_TICKET = "toolkit.change_ticket"
ARTICLE_LABEL = "knowledge.article"


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def is_article(target: Any) -> bool:
    return target is not None and target._meta.label_lower == ARTICLE_LABEL


def can_view_article(user, article) -> bool:
    from knowledge import selectors as knowledge  # knowledge is optional: asked only for its articles

    return user.has_perm("knowledge.view_article") and article.status in knowledge.visible_statuses(user)


def can_edit_article(user, article) -> bool:
    from knowledge import services as knowledge

    return knowledge.user_can_edit(user, article)


def can_view_ticket_files(user, ticket: Ticket | None = None) -> bool:
    return _active(user) and user.has_perm(VIEW_TICKET)


def can_attach(user, *, ticket: Ticket | None, target: Any = None) -> bool:
    if not _active(user):
        return False
    if is_article(target):
        return can_edit_article(user, target)
    return ticket is not None and user.has_perm(CHANGE_TICKET)


def can_view(user, attachment: Attachment) -> bool:
    if not _active(user):
        return False
    if attachment.ticket_id is None:
        target = attachment.target
        return is_article(target) and can_view_article(user, target)
    return can_view_ticket_files(user, attachment.ticket)


def can_delete(user, attachment: Attachment, ticket: Ticket | None = None) -> bool:
    """``ticket``: the attachment's ticket when the caller has it (a list of one ticket's files)."""
    if not _active(user) or attachment.is_deleted:
        return False
    if attachment.ticket_id is None:
        target = attachment.target
        return is_article(target) and can_edit_article(user, target)
    if not user.has_perm(CHANGE_TICKET):
        return False
    return (
        attachment.uploaded_by_id == user.pk
        or permissions.is_owner(user, ticket if ticket is not None else attachment.ticket)
        or permissions.is_manager(user)
    )
