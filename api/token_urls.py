"""/api/tokens/: a signed-in person's own API tokens (make one, see it once, revoke)."""

from django.urls import path

from . import views

app_name = "api_tokens"
urlpatterns = [
    path("", views.token_list, name="list"),
    path("<int:pk>/revoke", views.token_revoke, name="revoke"),
]
