"""Which kinds of file may be attached, decided from their bytes (libmagic), never from their names.

python-magic (libmagic, the engine of `file(1)`) rather than the pure-Python ``filetype``: service
work attaches logs, CSV and configuration text, which have no magic number and which ``filetype``
cannot recognise at all, and libmagic also tells HTML, SVG and scripts apart from plain text so that
they can be refused.
"""

from django.utils.translation import gettext_lazy as _

# How much of a file libmagic reads: enough for office documents (zip containers name their parts
# within the first few kilobytes) without reading a whole 10 MiB upload.
SNIFF_BYTES = 64 * 1024

# content type → (stored extension, kind shown to people). Everything else is refused.
ALLOWED = {
    "image/png": (".png", _("PNG image")),
    "image/jpeg": (".jpg", _("JPEG image")),
    "image/gif": (".gif", _("GIF image")),
    "image/webp": (".webp", _("WebP image")),
    "image/bmp": (".bmp", _("BMP image")),
    "image/tiff": (".tif", _("TIFF image")),
    "application/pdf": (".pdf", _("PDF document")),
    "text/plain": (".txt", _("Text file")),
    "text/csv": (".csv", _("CSV table")),
    "application/json": (".json", _("JSON")),
    "text/xml": (".xml", _("XML")),
    "application/xml": (".xml", _("XML")),
    "application/msword": (".doc", _("Word document")),
    "application/vnd.ms-excel": (".xls", _("Excel workbook")),
    "application/vnd.ms-powerpoint": (".ppt", _("PowerPoint presentation")),
    "application/vnd.ms-office": (".bin", _("Office document")),
    "application/CDFV2": (".bin", _("Office document")),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx", _("Word document")),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx", _("Excel workbook")),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        ".pptx",
        _("PowerPoint presentation"),
    ),
    "application/vnd.oasis.opendocument.text": (".odt", _("OpenDocument text")),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods", _("OpenDocument spreadsheet")),
    "application/zip": (".zip", _("ZIP archive")),
    "application/gzip": (".gz", _("gzip archive")),
    "application/x-gzip": (".gz", _("gzip archive")),
    "application/x-7z-compressed": (".7z", _("7-Zip archive")),
    "application/x-rar": (".rar", _("RAR archive")),
    "application/vnd.rar": (".rar", _("RAR archive")),
    "application/x-tar": (".tar", _("tar archive")),
    "video/mp4": (".mp4", _("MP4 video")),
    "video/webm": (".webm", _("WebM video")),
    "video/quicktime": (".mov", _("QuickTime video")),
}

# Shown inside the page (thumbnail, preview, inline download): raster formats a browser decodes as
# images only. Never SVG or HTML, which can carry script.
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Pillow makes thumbnails of these.
THUMBNAIL_SOURCES = INLINE_IMAGES | {"image/bmp", "image/tiff"}


def detect(head: bytes) -> str:
    """The content type libmagic reads in the first bytes of a file (``application/octet-stream`` if none)."""
    if not head:
        return "application/x-empty"
    import magic  # here, not at start-up: libmagic is loaded by the first upload, not by every worker

    return magic.from_buffer(head, mime=True)


def is_allowed(content_type: str) -> bool:
    return content_type in ALLOWED


def extension(content_type: str) -> str:
    return ALLOWED.get(content_type, (".bin", ""))[0]


def kind_label(content_type: str) -> str:
    return str(ALLOWED[content_type][1]) if content_type in ALLOWED else content_type
