"""Chapter 6's section of My work (provided as ``mywork_reviews``): articles in review that the user may
publish — reviewers only, and not what they wrote or edited (four-eyes). Two queries."""

from django.urls import reverse

from .models import Article, ArticleStatus, ArticleVersion
from .selectors import user_can_publish


def reviews_for(*, user, limit: int) -> dict | None:
    """Articles awaiting `user`'s review, the longest waiting first; None for those who may not publish."""
    if not user_can_publish(user):
        return None
    written = ArticleVersion.objects.filter(saved_by=user).values("article_id")
    articles = (
        Article.objects.filter(status=ArticleStatus.IN_REVIEW).exclude(author=user).exclude(pk__in=written)
    )
    rows = [
        {
            "title": article.title,
            "ticket": "",
            "url": article.get_absolute_url(),
            "due": article.updated_at,
            "overdue": False,
            "note": article.get_type_display(),
        }
        for article in articles.order_by("updated_at", "id")[:limit]
    ]
    list_url = f"{reverse('knowledge:list')}?status={ArticleStatus.IN_REVIEW}"
    return {"rows": rows, "total": articles.count(), "url": list_url}
