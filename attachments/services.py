"""Adding and deleting attachments. Every check runs before anything is written: a refused upload
leaves no row and no file in the storage."""

from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from toolkit.history import save_with_history
from toolkit.models import Ticket

from . import access, types
from .models import Attachment
from .storage import attachment_storage, stored_name

logger = logging.getLogger(__name__)

NAME_MAX = 255


@dataclass
class _Checked:
    upload: Any
    name: str
    content_type: str
    size: int


def clean_file_name(name: str) -> str:
    """The name as the uploader gave it, without folders or control characters, at most 255 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        name = stem[: NAME_MAX - len(ext[:20])] + ext[:20]
    return name or "attachment"


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(types.SNIFF_BYTES)
    upload.seek(0)
    return head


def _check(upload) -> _Checked:
    name = clean_file_name(getattr(upload, "name", ""))
    size = upload.size
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s: a file may be at most %(max)s.")
            % {
                "name": name,
                "size": filesizeformat(size),
                "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    content_type = types.detect(_head(upload))
    if not types.is_allowed(content_type):
        raise ValidationError(
            _(
                "“%(name)s” cannot be attached: its content is %(type)s, which is not accepted "
                "(images, PDF, text, office documents, archives and videos are)."
            )
            % {"name": name, "type": content_type},
            code="type",
        )
    return _Checked(upload=upload, name=name, content_type=content_type, size=size)


def _check_ticket_limits(ticket: Ticket, checked: Sequence[_Checked]) -> None:
    totals = Attachment.objects.live().filter(ticket=ticket).aggregate(count=Count("id"), size=Sum("size"))
    count = (totals["count"] or 0) + len(checked)
    size = (totals["size"] or 0) + sum(item.size for item in checked)
    if count > settings.ATTACHMENTS_MAX_PER_TICKET:
        raise ValidationError(
            _("A ticket may hold at most %(max)d files; it has %(count)d.")
            % {"max": settings.ATTACHMENTS_MAX_PER_TICKET, "count": totals["count"] or 0},
            code="too_many",
        )
    if size > settings.ATTACHMENTS_MAX_BYTES_PER_TICKET:
        raise ValidationError(
            _("A ticket's files may add up to at most %(max)s; it holds %(size)s already.")
            % {
                "max": filesizeformat(settings.ATTACHMENTS_MAX_BYTES_PER_TICKET),
                "size": filesizeformat(totals["size"] or 0),
            },
            code="ticket_full",
        )


def _target_ticket_id(target: Any) -> int | None:
    if hasattr(target, "ticket_id"):
        return target.ticket_id
    task = getattr(target, "task", None)  # a progress-log entry belongs to a task of the ticket
    return getattr(task, "ticket_id", None)


def _store(item: _Checked) -> tuple[str, str]:
    """Write one file to the storage under a random name; (stored name, sha256)."""
    digest = hashlib.sha256()
    item.upload.seek(0)
    for chunk in item.upload.chunks() if isinstance(item.upload, UploadedFile) else [item.upload.read()]:
        digest.update(chunk)
    item.upload.seek(0)
    name = attachment_storage().save(stored_name(types.extension(item.content_type)), item.upload)
    return name, digest.hexdigest()


@transaction.atomic
def attachments_add(
    *,
    ticket: Ticket | None,
    files: Iterable[Any],
    by,
    target: Any = None,
    from_customer: bool = False,
) -> list[Attachment]:
    """Attach ``files`` (Django uploaded files) to ``ticket`` or to ``target`` on it, all or none.

    ``target`` None: the ticket itself. A knowledge article is a target with ticket None. ``by`` None
    with ``from_customer``: the customer, through a token page that checked its token (portal).
    Raises ValidationError (wrong type, empty, too large, ticket full) before writing anything, and
    PermissionDenied when ``by`` may not attach here.
    """
    files = [upload for upload in files if upload is not None]
    if not files:
        return []
    if target is not None and access.is_article(target):
        if ticket is not None:
            raise ValidationError(_("An article's files belong to no ticket."))
    elif ticket is None:
        raise ValidationError(_("Choose the ticket the files belong to."))
    elif target is not None and _target_ticket_id(target) != ticket.pk:
        raise ValidationError(_("The files must be attached to something on this ticket."))
    if by is None:
        if not from_customer or ticket is None:
            raise PermissionDenied(_("You may not attach files here."))
    elif not access.can_attach(by, ticket=ticket, target=target):
        raise PermissionDenied(_("You may not attach files here."))

    checked = [_check(upload) for upload in files]
    if ticket is not None:
        # Locked so that two uploads at once cannot both pass the per-ticket limits.
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _check_ticket_limits(ticket, checked)

    content_type = ContentType.objects.get_for_model(target) if target is not None else None
    written: list[str] = []
    try:
        created = []
        for item in checked:
            name, sha256 = _store(item)
            written.append(name)
            attachment = Attachment(
                ticket=ticket,
                content_type=content_type,
                object_id=target.pk if target is not None else None,
                original_name=item.name,
                content_type_detected=item.content_type,
                size=item.size,
                sha256=sha256,
                uploaded_by=by,
                uploaded_by_customer=from_customer,
            )
            attachment.file.name = name
            created.append(save_with_history(attachment, by=by, reason="uploaded"))
    except BaseException:
        _remove_files(written)
        raise
    return created


def _remove_files(names: Iterable[str]) -> None:
    storage = attachment_storage()
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - a storage that is down: the file is an orphan, said in the log
            logger.exception("Could not remove attachment file %s", name)


@transaction.atomic
def attachment_delete(*, attachment: Attachment, by, reason: str) -> Attachment:
    """Delete a file: it leaves the storage, the row stays with who, when and why (and its history).

    Raises ValidationError without a reason, PermissionDenied for someone who may not delete it.
    """
    reason = (reason or "").strip()
    attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
    if attachment.is_deleted:
        raise ValidationError(_("This file was deleted already."))
    if not access.can_delete(by, attachment):
        raise PermissionDenied(
            _("Only whoever uploaded a file, the ticket's owner or a manager may delete it.")
        )
    if not reason:
        raise ValidationError({"reason": _("Say why the file is deleted.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("The reason may be at most 500 characters.")})
    names = [attachment.file.name or "", attachment.thumbnail]
    attachment.deleted_at = timezone.now()
    attachment.deleted_by = by
    attachment.delete_reason = reason
    attachment.file.name = ""
    attachment.thumbnail = ""
    save_with_history(attachment, by=by, reason=reason)
    # Removed once the deletion is committed: a rolled-back deletion keeps its file.
    transaction.on_commit(lambda: _remove_files(names))
    return attachment


# ---------------------------------------------------------------- files nobody's row names

# A file younger than this may belong to an upload whose transaction is still open: left alone.
ORPHAN_GRACE = timedelta(hours=1)
ORPHAN_SWEEP_EVERY = timedelta(hours=1)


def orphan_sweep(*, now) -> int:
    """Periodic (registered in toolkit.chapters), at most hourly: delete stored files that no attachment
    names, older than ORPHAN_GRACE. They are customers' files left by an upload whose outer transaction
    rolled back after the file was written (attachments_add removes its files only when it fails
    itself), or by a process killed in between; nobody can open them, so they would be kept for ever.

    Looks at this month's and last month's folders (uploads are filed by month, and an orphan is made
    at upload time) and the thumbnails. Returns how many files it deleted."""
    if not settings.ATTACHMENTS_ORPHAN_SWEEP:
        return 0
    if not cache.add("attachments:orphan-sweep", 1, timeout=int(ORPHAN_SWEEP_EVERY.total_seconds())):
        return 0
    storage = attachment_storage()
    this_month = now.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    folders = [f"attachments/{month:%Y/%m}" for month in (last_month, this_month)] + ["attachments/thumbs"]
    deleted = 0
    for folder in folders:
        try:
            _dirs, files = storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        names = [f"{folder}/{file}" for file in files]
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            known = set(Attachment.objects.filter(file__in=chunk).values_list("file", flat=True))
            known |= set(Attachment.objects.filter(thumbnail__in=chunk).values_list("thumbnail", flat=True))
            for name in chunk:
                if name in known:
                    continue
                try:
                    if storage.get_modified_time(name) > now - ORPHAN_GRACE:
                        continue
                except FileNotFoundError:  # removed meanwhile (a deletion's own clean-up)
                    continue
                storage.delete(name)
                logger.info("Deleted attachment file %s: no attachment names it", name)
                deleted += 1
    return deleted
