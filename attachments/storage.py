"""Where attachment files live: the ``attachments`` alias of Django's STORAGES (settings.py).

The file system under MEDIA_ROOT by default, an S3-compatible bucket when ATTACHMENTS_S3_BUCKET is set
(django-storages). Files are only ever read back through this app's permission-checked views, never
through a public URL, so the storage's own URLs are not used.
"""

import uuid

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

ALIAS = "attachments"


class _AttachmentStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages[ALIAS] if ALIAS in storages.backends else storages["default"]


attachment_storage_instance = _AttachmentStorage()


def attachment_storage():
    """The FileField's storage (a callable, so migrations name it instead of freezing a backend)."""
    return attachment_storage_instance


@receiver(setting_changed)
def _forget_backend(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT"):
        attachment_storage_instance._wrapped = empty


def stored_name(extension: str) -> str:
    """A random name for a new file: never the uploader's file name, which stays in the row only."""
    month = timezone.now().strftime("%Y/%m")
    return f"attachments/{month}/{uuid.uuid4().hex}{extension}"


def thumbnail_name(name: str) -> str:
    return f"attachments/thumbs/{uuid.uuid4().hex}.webp"
