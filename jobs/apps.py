from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from . import chapter

        chapter.register()  # its housekeeping scan, run by the core's periodic task
        # Every installed app's exports.py, which registers its exports in jobs.registry (as the admin
        # finds admin.py): web processes and workers know the same exports, and no app is named here.
        autodiscover_modules("exports")
