"""The one answer of every export view: the file now, or 303 to the job's page (jobs.exports)."""

from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse

from .exports import export_now_or_later
from .models import Job


def export_response(request, *, name: str, params: dict):
    """Write the export named ``name`` (jobs.registry) for ``request.user``: a download when small, else
    303 See Other to /exports/<id>/ (progress, then the download link). 404 when what it names is gone.
    The view checks the export permission and validates ``params`` first."""
    try:
        result = export_now_or_later(name=name, params=params, user=request.user)
    except LookupError as error:
        raise Http404 from error
    if isinstance(result, Job):
        response = HttpResponseRedirect(reverse("jobs:export_detail", args=[result.pk]))
        response.status_code = 303  # the browser follows with a GET to the job's page
        return response
    return FileResponse(result.file, as_attachment=True, filename=result.filename)
