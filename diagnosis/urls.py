from django.urls import path

from . import intake_views, stage_views, views

app_name = "diagnosis"

urlpatterns = [
    path("", views.ticket_table, name="list"),
    path("new/", intake_views.ticket_new, name="new"),
    path("new/suggest-priority/", intake_views.priority_suggestion, name="suggest_priority"),
    path("new/similar/", views.similar_tickets, name="similar"),
    path("new/contacts/", intake_views.contact_names, name="contact_names"),
    path("new/customers/", intake_views.customer_matches, name="customer_search"),
    path("new/assist/", intake_views.intake_assist, name="intake_assist"),
    path("export.xlsx", views.ticket_export, name="export"),
    path("import/", views.ticket_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("saved-filters/", views.saved_filter_create, name="saved_filter_create"),
    path("saved-filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("bulk/", views.ticket_bulk, name="bulk"),
    path("<str:number>/", views.ticket_detail, name="detail"),
    path("<str:number>/edit/", views.ticket_edit, name="edit"),
    path("<str:number>/stage/", stage_views.ticket_stage, name="stage"),
    path("<str:number>/duplicate/", stage_views.ticket_duplicate, name="duplicate"),
    path("<str:number>/incident/group/", stage_views.incident_group, name="incident_group"),
    path("<str:number>/incident/update/", stage_views.incident_update, name="incident_update"),
    path("<str:number>/clarify/", views.ticket_clarify, name="clarify"),
    path("<str:number>/link/", views.ticket_link, name="link"),
]
