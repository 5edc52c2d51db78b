from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The managers' dashboard: above the chapters, it reads the core and the chapters, never the reverse."""

    name = "dashboard"
    verbose_name = _("Dashboard")
