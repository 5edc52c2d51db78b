"""Pages of background jobs: progress while running, then the kind's report. Requester (and admins) only."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import JobKind
from .selectors import job_for_user, job_of_requester

# The report part of each kind's page.
REPORT_TEMPLATES = {
    JobKind.TICKET_IMPORT: "diagnosis/_import_report.html",
    JobKind.TICKET_EXPORT: "jobs/_export_report.html",
    JobKind.EXPORT: "jobs/_export_report.html",
}


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


@never_cache
@require_GET
def export_detail(request, pk):
    job = job_of_requester(user=request.user, pk=pk, kinds=JobKind.exports())
    if job is None:
        raise Http404
    context = {"job": job, "report_template": REPORT_TEMPLATES[job.kind]}
    template = "jobs/_job_status.html" if request.htmx else "jobs/job_detail.html"
    return render(request, template, context)


@never_cache
@require_GET
def export_download(request, pk):
    job = job_of_requester(user=request.user, pk=pk, kinds=JobKind.exports())
    if job is None or not job.result or not default_storage.exists(job.result.name):
        raise Http404
    filename = job.report.get("filename") or "export.xlsx"
    return FileResponse(default_storage.open(job.result.name, "rb"), as_attachment=True, filename=filename)
