from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("weekly.xlsx", views.weekly_export, name="weekly_export"),
    path("<str:number>/", views.plan_page, name="plan"),
    path("<str:number>/export.xlsx", views.plan_export, name="export"),
    path("<str:number>/generate/", views.plan_generate, name="generate"),
    path("<str:number>/complete/", views.plan_complete, name="complete"),
    path("<str:number>/tasks/", views.task_add, name="task_add"),
    path("<str:number>/tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("<str:number>/tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("<str:number>/tasks/<int:pk>/progress/", views.progress_add, name="progress_add"),
]
