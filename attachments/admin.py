"""Attachments in the admin: to look up, never to change or delete (deleting is the app's, with a reason)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(SimpleHistoryAdmin):
    list_display = [
        "original_name",
        "ticket",
        "content_type_detected",
        "size",
        "uploaded_by",
        "uploaded_at",
        "deleted_at",
    ]
    list_filter = ["content_type_detected", "uploaded_by_customer"]
    list_select_related = ["ticket", "uploaded_by"]
    search_fields = ["original_name", "ticket__number", "sha256"]
    date_hierarchy = "uploaded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
