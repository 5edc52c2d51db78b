from django.urls import path

from . import views

app_name = "requirements_analysis"

urlpatterns = [
    path("<str:number>/", views.analysis_page, name="analysis"),
    path("<str:number>/export.xlsx", views.analysis_export, name="export"),
    path("<str:number>/items/", views.item_add, name="item_add"),
    path("<str:number>/items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("<str:number>/items/<int:pk>/delete/", views.item_delete, name="item_delete"),
    path("<str:number>/items/<int:pk>/move/", views.item_move, name="item_move"),
    path("<str:number>/stakeholders/", views.stakeholder_add, name="stakeholder_add"),
    path("<str:number>/stakeholders/<int:pk>/delete/", views.stakeholder_remove, name="stakeholder_remove"),
    path(
        "<str:number>/stakeholders/<int:pk>/respond/", views.stakeholder_respond, name="stakeholder_respond"
    ),
]
