"""Customer links in the admin: read-only (issue and revoke from the ticket page, where reasons are asked)."""

from django.contrib import admin

from .models import Report, ReportLink, StatusLink


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportLink)
class ReportLinkAdmin(ReadOnlyAdmin):
    list_display = ["customer", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    list_select_related = ["customer", "created_by", "revoked_by"]
    search_fields = ["customer__name"]
    exclude = ["token_hash"]


@admin.register(StatusLink)
class StatusLinkAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    list_select_related = ["ticket", "created_by", "revoked_by"]
    search_fields = ["ticket__number"]
    exclude = ["token_hash"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "report_link", "submitted_at", "language"]
    list_select_related = ["ticket", "report_link", "report_link__customer"]
    search_fields = ["ticket__number"]
