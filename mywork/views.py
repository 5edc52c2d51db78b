"""My work: one page, read by one selector (mywork.selectors.my_work)."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import my_work


@require_GET
@permission_required("toolkit.view_ticket", raise_exception=True)
def home(request):
    context = {
        "work": my_work(request.user),
        # Those who have the team's dashboard as their home get a link back to it.
        "dashboard_is_home": request.user.has_perm("evaluation.view_reports"),
    }
    return render(request, "mywork/home.html", context)
