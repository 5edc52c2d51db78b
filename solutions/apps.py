from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolutionsConfig(AppConfig):
    name = "solutions"
    verbose_name = _("3 Solution design")
    default_auto_field = "django.db.models.BigAutoField"
