from django.urls import path

from . import views

# No app_name: every page's menu links to the dashboard by its plain name "home".
urlpatterns = [
    path("", views.dashboard, name="home"),
]
