from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .admin_holidays import holiday_import_view
from .admin_privacy import ContactPrivacyAdminMixin
from .holidays import IMPORT_PERMISSIONS, years_without_holidays
from .models import (
    BusinessCalendar,
    CalendarDay,
    Contact,
    ContactDetailView,
    Customer,
    ExportLog,
    SlaPolicy,
    StageChange,
    Ticket,
    User,
)
from .privacy import mask_person_name


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Service desk"), {"fields": ["job_title", "manager", "language"]}),
    ]
    list_display = ["username", "get_full_name", "job_title", "manager", "is_active"]
    list_select_related = ["manager"]


@admin.register(Customer)
class CustomerAdmin(ContactPrivacyAdminMixin, SimpleHistoryAdmin):
    private_fields = {"notes": "text"}
    list_display = ["name", "tier", "unmatched", "created_at"]
    list_filter = ["tier"]
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(ContactPrivacyAdminMixin, SimpleHistoryAdmin):
    private_fields = {"name": "name", "details": "details", "email": "details"}
    list_display = ["name", "customer"]
    list_select_related = ["customer"]
    search_fields = ["name", "customer__name"]
    autocomplete_fields = ["customer"]

    def masked_str(self, obj):
        return mask_person_name(obj.name)


@admin.register(Ticket)
class TicketAdmin(ContactPrivacyAdminMixin, SimpleHistoryAdmin):
    private_fields = {
        "contact": "contact",
        "contact_details": "details",
        "description": "text",
        "error_message": "text",
        "preliminary_judgement": "text",
        "priority_override_reason": "text",
    }
    list_display = ["number", "customer", "priority", "problem_type", "stage", "owner", "recorded_at"]
    list_filter = ["priority", "problem_type", "stage", "source"]
    list_select_related = ["customer", "owner"]
    search_fields = ["number", "customer__name"]
    # The description is the customer's own words: never edited, not even here.
    # Stage and priority change through the ticket pages, which record why and keep the SLA due times
    # right; the SLA columns are the engine's.
    readonly_fields = [
        "number",
        "description",
        "recorded_by",
        "recorded_at",
        "stage",
        "priority",
        "sla_state",
        "sla_due_at",
    ]
    raw_id_fields = ["customer", "contact", "owner", "parent"]

    def ticket_of(self, obj):
        return obj


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["ticket", "from_stage", "to_stage", "changed_by", "changed_at"]
    list_select_related = ["ticket", "changed_by"]


class AppendOnlyAdmin(admin.ModelAdmin):
    """An audit log: readable, never added to, changed or deleted here, by anyone (superusers too)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportLog)
class ExportLogAdmin(AppendOnlyAdmin):
    list_display = ["exported_at", "user", "table", "row_count", "contact_details_masked", "query_string"]
    list_select_related = ["user"]


@admin.register(ContactDetailView)
class ContactDetailViewAdmin(AppendOnlyAdmin):
    list_display = ["viewed_at", "user", "ticket", "surface"]
    list_filter = ["surface"]
    list_select_related = ["user", "ticket"]
    search_fields = ["ticket__number", "user__username"]
    date_hierarchy = "viewed_at"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SimpleHistoryAdmin):
    """One row per priority (made by a migration): admins change the targets, nobody adds or deletes.
    A change applies to tickets logged afterwards and to tickets whose priority changes; open tickets
    keep the due times they were logged with."""

    list_display = [
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "clock",
        "breach_repeat_minutes",
    ]
    list_editable = ["first_response_minutes", "resolution_minutes", "clock", "breach_repeat_minutes"]
    readonly_fields = ["priority"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["__str__", "use_china_holidays", "time_zone"]
    readonly_fields = ["time_zone"]

    @admin.display(description=_("time zone"))
    def time_zone(self, obj):
        return settings.TIME_ZONE  # the TIME_ZONE setting: one zone for the whole team

    def has_add_permission(self, request):
        return not BusinessCalendar.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Exceptions to the business calendar, and the import of a year's official holiday schedule for the
    years chinesecalendar does not know yet (the list shows which coming year lacks one)."""

    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: holiday_import_view(self, request))
        return [path("import/", view, name="toolkit_calendarday_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "holiday_gaps": years_without_holidays(),
            "can_import_holidays": request.user.has_perms(IMPORT_PERMISSIONS),
        }
        return super().changelist_view(request, extra_context)


from . import admin_notifications  # noqa: E402,F401 - registers Delivery, ChatWebhook, Notification
