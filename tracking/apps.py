from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = _("4 Implementation tracking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Its ticket-page card, results, scans and provided reads, in the registry the chapters meet through.
        from . import chapter

        chapter.register()
