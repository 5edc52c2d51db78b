from django.contrib import admin

from .models import Follower, Membership, RoutingRule, Team, TicketTeam


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "strategy", "active"]
    list_filter = ["strategy", "active"]
    search_fields = ["name"]
    autocomplete_fields = ["lead"]
    inlines = [MembershipInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["order", "team", "problem_type", "customer", "source", "keywords", "active"]
    list_editable = ["active"]
    list_filter = ["team", "active"]
    list_select_related = ["team", "customer"]
    autocomplete_fields = ["customer"]
    ordering = ["order", "pk"]


@admin.register(TicketTeam)
class TicketTeamAdmin(admin.ModelAdmin):
    list_display = ["ticket", "team", "assigned_at"]
    list_select_related = ["ticket", "team"]
    list_filter = ["team"]
    search_fields = ["ticket__number"]
    raw_id_fields = ["ticket"]


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    list_display = ["ticket", "user", "added_by", "added_at"]
    list_select_related = ["ticket", "user", "added_by"]
    search_fields = ["ticket__number", "user__username"]
    raw_id_fields = ["ticket", "user", "added_by"]
