from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("6 Knowledge")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import chapter, signals  # noqa: F401 - signals registers the ticket search-document receiver

        # Its ticket-page card, dashboard figure and provided services, in the chapters' registry.
        chapter.register()
