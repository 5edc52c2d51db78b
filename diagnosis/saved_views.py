"""Saved views of the diagnosis table (SavedFilter), read for their owner only: the table page lists
them, and My work shows them through ``chapters.provided("mywork_saved_views")``."""

from django.db.models import QuerySet
from django.urls import reverse

from .models import SavedFilter


def saved_views_of(user) -> QuerySet[SavedFilter]:
    """The user's own views, by name; nobody sees another's."""
    return SavedFilter.objects.filter(user=user).order_by("name", "id")


def saved_views_for_mywork(*, user, limit: int) -> dict | None:
    """My work's section: the user's views as links to the table (two queries); None when the user may
    not see the table."""
    if not user.has_perm("toolkit.view_ticket"):
        return None
    views = saved_views_of(user)
    table = reverse("diagnosis:list")
    rows = [
        {
            "title": saved.name,
            "ticket": "",
            "url": f"{table}?{saved.query_string}" if saved.query_string else table,
            "due": None,
            "overdue": False,
            "note": "",
        }
        for saved in views[:limit]
    ]
    return {"rows": rows, "total": views.count(), "url": table}
