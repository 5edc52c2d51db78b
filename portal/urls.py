from django.urls import path

from . import views

# The engineers' pages for customer links, under /portal/.
app_name = "portal"

urlpatterns = [
    path("customers/<int:pk>/report-link/", views.customer_report_link, name="report_link"),
    path("customers/<int:pk>/report-link/issue/", views.customer_report_link_issue, name="report_link_issue"),
    path("report-links/<int:pk>/revoke/", views.report_link_revoke, name="report_link_revoke"),
    path("tickets/<str:number>/status-link/", views.ticket_status_link, name="status_link"),
    path("tickets/<str:number>/status-link/issue/", views.ticket_status_link_issue, name="status_link_issue"),
    path("status-links/<int:pk>/revoke/", views.status_link_revoke, name="status_link_revoke"),
]
