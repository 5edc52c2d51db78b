from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = _("Inbound e-mail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A malformed INBOUND_EMAIL_URL fails `manage.py check` (and every start) loudly.
        from . import checks  # noqa: F401
