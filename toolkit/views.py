"""The bell's pages: a user's own notifications, marking them read, and the unread-count fragment.

Every query filters on request.user: nobody ever sees or marks another person's notification.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from . import languages
from .models import Notification
from .notifications import event_text

NOTIFICATIONS_PAGE_SIZE = 25
# htmx stops polling on this status (https://htmx.org/docs/#polling).
HTMX_STOP_POLLING = 286


@require_GET
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    notifications = Notification.objects.filter(user=request.user).select_related("ticket", "event")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    # Event notifications are written now, in the reader's language for messages (as reminders were).
    with languages.writing_to(request.user):
        for notification in page.object_list:
            if notification.event is not None:
                told = event_text(notification.event)
                notification.text, notification.details, notification.kind_label = (
                    told.line,
                    told.details,
                    told.title,
                )
            else:
                notification.text = notification.message
    context = {"page": page, "unread_only": unread_only, "query_string": "unread=1" if unread_only else ""}
    return render(request, "toolkit/notifications.html", context)


@require_POST
def notification_open(request, pk):
    """Opening a notification marks it read and goes to its link (a design, an article, a failing webhook)
    or else its ticket."""
    notification = get_object_or_404(Notification.objects.select_related("ticket"), pk=pk, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    # Links are paths on this site, written by the application ("//host" would leave it).
    if notification.link.startswith("/") and not notification.link.startswith("//"):
        return redirect(notification.link)
    if notification.ticket is None:
        return redirect("/")
    return redirect(notification.ticket)


@require_POST
def notification_read_all(request):
    marked = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if marked:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.", "%(count)d notifications marked as read.", marked
            )
            % {"count": marked},
        )
    return redirect("notifications")


@login_not_required
@require_GET
def unread_fragment(request):
    """The bell, polled by htmx. After a logout the polling stops instead of swapping in the login page."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    return render(request, "toolkit/_bell.html")
