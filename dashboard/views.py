from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mywork import views as mywork_views
from toolkit import notifications

from . import selectors

# Who has the team's dashboard as their home page (managers, admins); the others get My work at "/".
DASHBOARD_HOME_PERMISSION = "evaluation.view_reports"


@require_GET
@permission_required("toolkit.view_ticket", raise_exception=True)
def home(request):
    """ "/": the dashboard for managers, My work (rendered here, the address stays "/") for engineers."""
    if not request.user.has_perm(DASHBOARD_HOME_PERMISSION):
        return mywork_views.home(request)
    return dashboard(request)


@require_GET
@permission_required("toolkit.view_ticket", raise_exception=True)
def dashboard(request):
    context = {
        "board": selectors.dashboard_summary(),
        "can_see_reports": request.user.has_perm(DASHBOARD_HOME_PERMISSION),
    }
    if request.user.has_perm("toolkit.view_delivery"):
        # Admins see reminders that could not be delivered (failed, or waiting for a paused webhook).
        context["outbound"] = notifications.outbound_health()
    return render(request, "dashboard/dashboard.html", context)
