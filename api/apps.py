from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("REST API")

    def ready(self):
        from toolkit import chapters

        from . import history, services

        # Writes made through the API are marked "via API" in the history the ticket page shows.
        history.connect()
        # The answers kept for Idempotency-Key retries are forgotten after a day by the periodic task.
        chapters.register(
            chapters.Chapter(label="api", order=96, scans=[services.idempotent_requests_expire])
        )
