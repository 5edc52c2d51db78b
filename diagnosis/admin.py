from django.contrib import admin

from .models import SavedFilter


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "query_string", "created_at"]
    list_select_related = ["user"]
