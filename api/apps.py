from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("REST API")

    def ready(self):
        from . import history

        # Writes made through the API are marked "via API" in the history the ticket page shows.
        history.connect()
