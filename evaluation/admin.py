from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import FollowUp, ImprovementAction, Recurrence, Survey, SurveyResponse, Verification


@admin.register(Verification)
class VerificationAdmin(SimpleHistoryAdmin):
    list_display = ["ticket", "method", "verified_by", "verified_at"]
    list_filter = ["method"]
    list_select_related = ["ticket", "verified_by"]
    raw_id_fields = ["ticket", "verified_by"]
    search_fields = ["ticket__number"]


@admin.register(FollowUp)
class FollowUpAdmin(SimpleHistoryAdmin):
    list_display = ["ticket", "due_at", "assignee", "done_at", "reminded_at"]
    list_select_related = ["ticket", "assignee"]
    raw_id_fields = ["ticket", "assignee", "created_by"]
    search_fields = ["ticket__number"]


@admin.register(Recurrence)
class RecurrenceAdmin(admin.ModelAdmin):
    list_display = ["original", "new_ticket", "detected_at", "detected_by"]
    list_select_related = ["original", "new_ticket", "detected_by"]
    raw_id_fields = ["original", "new_ticket", "detected_by"]
    search_fields = ["original__number", "new_ticket__number"]


@admin.register(ImprovementAction)
class ImprovementActionAdmin(SimpleHistoryAdmin):
    list_display = ["description", "ticket", "owner", "due_date", "status"]
    list_filter = ["status"]
    list_select_related = ["ticket", "owner"]
    raw_id_fields = ["ticket", "owner", "created_by"]
    search_fields = ["description", "ticket__number"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Links are made on the evaluation page (the token is shown once there); here they are only read."""

    list_display = ["ticket", "created_at", "created_by", "delivery", "expires_at", "used_at", "voided_at"]
    list_select_related = ["ticket", "created_by"]
    search_fields = ["ticket__number"]
    readonly_fields = [
        "ticket",
        "token_hash",
        "created_by",
        "created_at",
        "expires_at",
        "delivery",
        "sent_to",
        "used_at",
        "voided_at",
        "voided_by",
        "void_reason",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """The customer's answers are never edited."""

    list_display = [
        "ticket",
        "overall",
        "response_speed",
        "effectiveness",
        "attitude",
        "communication",
        "submitted_at",
    ]
    list_filter = ["overall"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__number", "comment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
