from django.urls import path

from . import views

app_name = "conversation"

urlpatterns = [
    path("canned/", views.canned_list, name="canned"),
    path("canned/<int:pk>/", views.canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", views.canned_delete, name="canned_delete"),
    path("<str:number>/", views.card, name="card"),
    path("<str:number>/reply/", views.reply, name="reply"),
    path("<str:number>/note/", views.note, name="note"),
]
