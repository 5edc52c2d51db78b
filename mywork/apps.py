from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MyworkConfig(AppConfig):
    """My work, an engineer's home page. Above the chapters: it imports none of them, and reads each
    chapter's section through ``toolkit.chapters.provided`` (a chapter not installed adds nothing)."""

    name = "mywork"
    verbose_name = _("My work")
    default_auto_field = "django.db.models.BigAutoField"
