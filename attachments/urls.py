from django.urls import path

from . import views

app_name = "attachments"

urlpatterns = [
    path("<int:pk>/", views.download, name="download"),
    path("<int:pk>/thumb", views.thumbnail, name="thumbnail"),
    path("<int:pk>/delete", views.delete, name="delete"),
    path("ticket/<str:number>/", views.ticket_files, name="ticket_files"),
    path("ticket/<str:number>/upload", views.ticket_upload, name="ticket_upload"),
    path("article/<int:pk>/upload", views.article_upload, name="article_upload"),
]
