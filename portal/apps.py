from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customer's report form and status page: public token pages above the core, like the dashboard."""

    name = "portal"
    verbose_name = _("Customer report form and status page")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Its card on the ticket page (status link, report link), through the registry the chapters use.
        from . import chapter

        chapter.register()
