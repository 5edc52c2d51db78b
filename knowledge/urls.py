from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_create, name="new"),
    path("suggest/", views.suggest, name="suggest"),
    path("capture/<str:number>/", views.article_capture, name="capture"),
    path("link/<str:number>/", views.link_article, name="link"),
    path("link/<str:number>/search/", views.link_search, name="link_search"),
    path("<int:pk>/", views.article_detail, name="detail"),
    path("<int:pk>/edit/", views.article_edit, name="edit"),
    path("<int:pk>/submit/", views.article_submit, name="submit"),
    path("<int:pk>/publish/", views.article_publish, name="publish"),
    path("<int:pk>/return/", views.article_return, name="return"),
    path("<int:pk>/archive/", views.article_archive, name="archive"),
    path("<int:pk>/helped/", views.article_helped, name="helped"),
]
