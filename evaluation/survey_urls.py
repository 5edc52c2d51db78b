from django.urls import path

from . import survey_views

# The customer's survey link, outside /evaluation/ so the public URL stays short: /survey/<token>/.
app_name = "survey"

urlpatterns = [
    path("thanks/", survey_views.thanks, name="thanks"),
    path("<str:token>/", survey_views.survey, name="answer"),
]
