from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("report.xlsx", views.report_export, name="report_export"),
    path("<str:number>/", views.evaluation_page, name="page"),
    path("<str:number>/export.xlsx", views.ticket_export, name="ticket_export"),
    path("<str:number>/verify/", views.verify, name="verify"),
    path("<str:number>/close/", views.close, name="close"),
    path("<str:number>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("<str:number>/follow-ups/<int:pk>/edit/", views.follow_up_edit, name="follow_up_edit"),
    path("<str:number>/follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("<str:number>/recurrences/", views.recurrence_add, name="recurrence_add"),
    path("<str:number>/recurrences/<int:pk>/delete/", views.recurrence_delete, name="recurrence_delete"),
    path("<str:number>/actions/", views.action_add, name="action_add"),
    path("<str:number>/actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("<str:number>/actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("<str:number>/surveys/", views.survey_create, name="survey_create"),
    path("<str:number>/surveys/<int:pk>/void/", views.survey_void, name="survey_void"),
]
