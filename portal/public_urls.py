from django.urls import path

from . import public_views

# The customer's private links (public contracts): /report/<token>/ and /status/<token>/.
app_name = "portal_public"

urlpatterns = [
    path("report/<str:token>/", public_views.report, name="report"),
    path("status/<str:token>/", public_views.status, name="status"),
    path("status/<str:token>/files/<int:pk>/", public_views.status_file, name="status_file"),
]
