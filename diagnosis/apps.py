from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosisConfig(AppConfig):
    name = "diagnosis"
    verbose_name = _("1 Quick diagnosis")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import chapter, signals

        # The customer picker's search keys follow each customer's name.
        signals.connect()

        # What it offers the apps above it (My work's saved views), in the chapters' registry.
        chapter.register()
