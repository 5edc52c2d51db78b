from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationConfig(AppConfig):
    name = "conversation"
    verbose_name = _("Conversation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Its card on the ticket page and its retry scan, in the registry the apps meet through.
        from . import chapter

        chapter.register()
