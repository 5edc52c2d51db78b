"""Template context for every page: the bell's unread count."""

from django.utils.functional import SimpleLazyObject

from .models import Notification


def unread_count(user) -> int:
    """One COUNT on the (user, read_at) index."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def unread_notifications(request):
    """``unread_notifications``: counted only when a template shows it (base.html does so for a
    logged-in user), so anonymous pages and pages without the bell run no query for it."""

    def count():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return unread_count(user)

    return {"unread_notifications": SimpleLazyObject(count)}
