from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """One search box in the menu for tickets, articles and customers (issue 17 item 7). No models: it
    reads the knowledge app's search documents and the core's tickets and customers."""

    name = "search"
    verbose_name = _("Search")
