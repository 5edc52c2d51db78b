from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "attachments"
    verbose_name = _("Attachments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Its card on the ticket page, in the registry the chapters meet through; the storage forgets
        # its backend when a test changes STORAGES; deleted rows take their files with them.
        from . import chapter, signals, storage  # noqa: F401

        chapter.register()
