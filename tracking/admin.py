from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ProgressEntry, Task


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["name", "ticket", "kind", "owner", "planned_start", "planned_end", "progress", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["ticket", "owner"]
    raw_id_fields = ["ticket", "owner", "predecessor"]
    search_fields = ["name", "ticket__number"]


@admin.register(ProgressEntry)
class ProgressEntryAdmin(admin.ModelAdmin):
    list_display = ["task", "date", "progress", "by"]
    list_select_related = ["task", "by"]
    raw_id_fields = ["task", "by"]
    search_fields = ["task__name", "task__ticket__number", "note"]
