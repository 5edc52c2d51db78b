from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ToolkitConfig(AppConfig):
    name = "toolkit"
    verbose_name = _("Service core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import roles

        # After django.contrib.auth's own receiver (auth comes first in INSTALLED_APPS), which creates
        # each app's permissions: the role groups then get exactly toolkit/roles.py's table.
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="toolkit.roles.sync")
