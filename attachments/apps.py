from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "attachments"
    verbose_name = _("Attachments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The storage forgets its backend when a test changes STORAGES; deleted rows take their files.
        from . import signals, storage  # noqa: F401
