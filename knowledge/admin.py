from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import Article, ArticleLink, ArticleVersion, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    fields = ["number", "title", "saved_by", "saved_at"]
    readonly_fields = fields


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "type", "status", "version", "view_count", "helped_count", "published_at"]
    list_filter = ["status", "type"]
    list_select_related = ["author"]
    raw_id_fields = ["author", "reviewer", "source_tickets"]
    filter_horizontal = ["tags"]
    inlines = [VersionInline]

    def save_related(self, request, form, formsets, change):
        # Admin edits bypass the services: keep the search document in step all the same.
        super().save_related(request, form, formsets, change)
        services.article_index(article=form.instance)


@admin.register(ArticleLink)
class ArticleLinkAdmin(admin.ModelAdmin):
    list_display = ["article", "ticket", "linked_by", "linked_at"]
    list_select_related = ["article", "ticket", "linked_by"]
    raw_id_fields = ["article", "ticket", "linked_by"]
