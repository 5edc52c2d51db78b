from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download", views.export_download, name="export_download"),
]
