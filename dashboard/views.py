from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from toolkit import notifications

from . import selectors


@require_GET
@permission_required("toolkit.view_ticket", raise_exception=True)
def dashboard(request):
    context = {
        "board": selectors.dashboard_summary(),
        "can_see_reports": request.user.has_perm("evaluation.view_reports"),
    }
    if request.user.has_perm("toolkit.view_delivery"):
        # Admins see reminders that could not be delivered (failed, or waiting for a paused webhook).
        context["outbound"] = notifications.outbound_health()
    return render(request, "dashboard/dashboard.html", context)
