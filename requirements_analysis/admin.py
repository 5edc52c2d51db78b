from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import RequirementItem, Stakeholder


@admin.register(RequirementItem)
class RequirementItemAdmin(SimpleHistoryAdmin):
    list_display = ["summary", "ticket", "kind", "moscow", "value", "urgency", "effort", "position"]
    list_filter = ["kind", "moscow", "collection_method"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket", "created_by"]
    search_fields = ["summary", "ticket__number"]


@admin.register(Stakeholder)
class StakeholderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "department", "ticket", "status", "responded_at"]
    list_filter = ["status"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket", "user", "responded_by"]
    search_fields = ["name", "department", "ticket__number"]
