from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in: login throttling, two-factor codes, session timeouts and the account's security page."""

    name = "accounts"
    verbose_name = _("Sign-in and security")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import chapter, sessions  # noqa: F401  (sessions connects the user_logged_in receiver)

        chapter.register()  # its clean-up of old login records, run by the core's periodic task
