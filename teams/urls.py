from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("away/", views.my_away, name="my_away"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("rules/<int:pk>/move/", views.rule_move, name="rule_move"),
    path("<int:pk>/", views.team_detail, name="detail"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:user_pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/members/<int:user_pk>/away/", views.member_away, name="member_away"),
    path("ticket/<str:number>/follow/", views.follow, name="follow"),
    path("ticket/<str:number>/unfollow/", views.unfollow, name="unfollow"),
    path("ticket/<str:number>/collaborators/", views.collaborator_add, name="collaborator_add"),
    path("ticket/<str:number>/reassign/", views.reassign, name="reassign"),
]
