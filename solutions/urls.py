from django.urls import path

from . import views

app_name = "solutions"

urlpatterns = [
    path("", views.approval_queue, name="approvals"),
    path("<str:number>/", views.design_page, name="design"),
    path("<str:number>/export.xlsx", views.design_export, name="export"),
    path("<str:number>/options/", views.option_add, name="option_add"),
    path("<str:number>/options/<int:pk>/edit/", views.option_edit, name="option_edit"),
    path("<str:number>/options/<int:pk>/delete/", views.option_delete, name="option_delete"),
    path("<str:number>/choose/", views.option_choose, name="option_choose"),
    path("<str:number>/criteria/", views.criteria_save, name="criteria"),
    path("<str:number>/scores/", views.scores_save, name="scores"),
    path("<str:number>/coverage/", views.coverage_save, name="coverage"),
    path("<str:number>/risks/", views.risk_add, name="risk_add"),
    path("<str:number>/risks/<int:pk>/edit/", views.risk_edit, name="risk_edit"),
    path("<str:number>/risks/<int:pk>/delete/", views.risk_delete, name="risk_delete"),
    path("<str:number>/rollback/", views.rollback_save, name="rollback"),
    path("<str:number>/submit/", views.design_submit, name="submit"),
    path("<str:number>/decide/", views.design_decide, name="decide"),
]
