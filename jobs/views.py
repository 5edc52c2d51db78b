"""Pages of background jobs: progress while running, then the kind's report. Requester (and admins) only."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import JobKind
from .selectors import job_for_user

# The report part of each kind's page.
REPORT_TEMPLATES = {JobKind.TICKET_IMPORT: "diagnosis/_import_report.html"}


@never_cache
@require_GET
def import_detail(request, pk):
    job = job_for_user(user=request.user, pk=pk, kind=JobKind.TICKET_IMPORT)
    if job is None:
        raise Http404
    context = {"job": job, "report_template": REPORT_TEMPLATES[job.kind]}
    # htmx polls the status part until the job has finished.
    template = "jobs/_job_status.html" if request.htmx else "jobs/job_detail.html"
    return render(request, template, context)
