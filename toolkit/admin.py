from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Contact, Customer, ExportLog, StageChange, Ticket, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Service desk"), {"fields": ["job_title", "manager"]}),
    ]
    list_display = ["username", "get_full_name", "job_title", "manager", "is_active"]
    list_select_related = ["manager"]


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "tier", "created_at"]
    list_filter = ["tier"]
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["name", "customer"]
    list_select_related = ["customer"]
    search_fields = ["name", "customer__name"]
    autocomplete_fields = ["customer"]


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin):
    list_display = ["number", "customer", "priority", "problem_type", "stage", "owner", "recorded_at"]
    list_filter = ["priority", "problem_type", "stage", "source"]
    list_select_related = ["customer", "owner"]
    search_fields = ["number", "customer__name"]
    # The description is the customer's own words: never edited, not even here.
    readonly_fields = ["number", "description", "recorded_by", "recorded_at"]
    raw_id_fields = ["customer", "contact", "owner", "parent"]


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["ticket", "from_stage", "to_stage", "changed_by", "changed_at"]
    list_select_related = ["ticket", "changed_by"]


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["exported_at", "user", "table", "row_count", "contact_details_masked", "query_string"]
    list_select_related = ["user"]

    def has_change_permission(self, request, obj=None):
        return False  # an audit log is read-only


from . import admin_notifications  # noqa: E402,F401 - registers Delivery, ChatWebhook, Notification
