from django.contrib import admin

from .models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "updated_at"]
    search_fields = ["title", "body"]
    raw_id_fields = ["owner", "created_by"]
