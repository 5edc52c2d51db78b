from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    """Teams (数据库组, 网络组, …) and routing: which team and which member a new ticket goes to,
    who is away, who follows a ticket. Above the core: it registers in the chapters' registry and
    the intake, the mail and the report form call its routing through ``chapters.provided``."""

    name = "teams"
    verbose_name = _("Teams and routing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import chapter

        chapter.register()
