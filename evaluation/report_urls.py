"""/evaluation/reports/: the managers' aggregates (CSAT and SLA compliance by dimension)."""

from django.urls import path

from . import report_views

app_name = "evaluation_reports"

urlpatterns = [
    path("", report_views.reports, name="index"),
]
