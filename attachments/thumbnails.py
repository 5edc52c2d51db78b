"""Image thumbnails, made by Pillow at the first request and kept in the attachments storage."""

import io
import logging
import warnings

from django.core.files.base import ContentFile

from .models import Attachment
from .storage import attachment_storage, thumbnail_name

logger = logging.getLogger(__name__)

BOX = (320, 320)


def _render(source) -> bytes:
    from PIL import Image, ImageOps  # Pillow: loaded by the first thumbnail, not at start-up

    with warnings.catch_warnings():
        # An image of more pixels than Pillow's limit is refused, never decoded (decompression bombs).
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(source) as image:
            image.draft("RGB", BOX)  # JPEG: decode at a fraction of the size
            image = ImageOps.exif_transpose(image)
            image.thumbnail(BOX)
            image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
            out = io.BytesIO()
            image.save(out, "WEBP", quality=80)
    return out.getvalue()


def thumbnail_of(attachment: Attachment) -> str | None:
    """The stored thumbnail's name, made now if it is the first request; None when there can be none."""
    if attachment.thumbnail:
        return attachment.thumbnail
    if attachment.is_deleted or not attachment.has_thumbnail or not attachment.file.name:
        return None
    from PIL import Image, UnidentifiedImageError

    storage = attachment_storage()
    try:
        with storage.open(attachment.file.name, "rb") as source:
            data = _render(source)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        logger.warning("No thumbnail for attachment %s", attachment.pk, exc_info=True)
        return None
    name = storage.save(thumbnail_name(attachment.file.name), ContentFile(data))
    # Two first requests at once: the one that records its name wins, the other removes its copy.
    if Attachment.objects.filter(pk=attachment.pk, thumbnail="", deleted_at__isnull=True).update(
        thumbnail=name
    ):
        attachment.thumbnail = name
        return name
    storage.delete(name)
    attachment.refresh_from_db(fields=["thumbnail"])
    return attachment.thumbnail or None
