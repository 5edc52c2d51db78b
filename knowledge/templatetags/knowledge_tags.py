from django import template
from django.utils.html import format_html

from knowledge.models import ArticleStatus
from knowledge.rendering import render_markdown

register = template.Library()

STATUS_CLASSES = {
    ArticleStatus.DRAFT: "text-bg-secondary",
    ArticleStatus.IN_REVIEW: "text-bg-warning",
    ArticleStatus.PUBLISHED: "text-bg-success",
    ArticleStatus.ARCHIVED: "text-bg-dark",
}


@register.filter
def markdown(text):
    return render_markdown(text)


@register.simple_tag
def article_status_badge(status):
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_CLASSES.get(status, "text-bg-light"),
        ArticleStatus(status).label,
    )
