from django.urls import path

from . import views

# No app_name: every page's menu links to the home page by its plain name "home".
urlpatterns = [
    # The dashboard for managers, My work for engineers (dashboard.views.home).
    path("", views.home, name="home"),
    # The dashboard for everyone who sees tickets (engineers reach it from the menu).
    path("dashboard/", views.dashboard, name="dashboard"),
]
