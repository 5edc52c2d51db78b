from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

urlpatterns = [
    # The managers' dashboard arrives with its issue; until then / opens the diagnosis table.
    path("", RedirectView.as_view(pattern_name="diagnosis:list"), name="home"),
    path("diagnosis/", include("diagnosis.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
