from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Criterion, Risk, SolutionDesign, SolutionOption


@admin.register(SolutionDesign)
class SolutionDesignAdmin(SimpleHistoryAdmin):
    list_display = ["ticket", "status", "chosen_option", "submitted_by", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["ticket", "chosen_option", "submitted_by", "decided_by"]
    raw_id_fields = ["ticket", "chosen_option", "submitted_by", "decided_by"]
    search_fields = ["ticket__number"]
    # Decisions go through the page, whose rules (who may approve, the stage move) the admin would skip.
    readonly_fields = [
        "status",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "decision_comment",
    ]


@admin.register(SolutionOption)
class SolutionOptionAdmin(SimpleHistoryAdmin):
    list_display = ["ticket", "label", "estimated_cost", "duration_days", "people", "risk_level"]
    list_filter = ["risk_level"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket", "created_by"]
    search_fields = ["ticket__number", "approach"]


@admin.register(Criterion)
class CriterionAdmin(SimpleHistoryAdmin):
    list_display = ["ticket", "key", "name", "weight", "position"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket"]


@admin.register(Risk)
class RiskAdmin(SimpleHistoryAdmin):
    list_display = ["description", "ticket", "probability", "impact", "owner"]
    list_filter = ["probability", "impact"]
    list_select_related = ["ticket", "owner"]
    raw_id_fields = ["ticket", "owner"]
    search_fields = ["description", "ticket__number"]
