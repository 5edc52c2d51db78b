"""Articles made through the services, so versions and search documents are written as in real use."""

from knowledge import services
from toolkit.choices import ProblemType


def make_article(author, *, title="无法登录系统", publish_by=None, tags=(), **content):
    fields = {
        "type": ProblemType.FUNCTIONAL,
        "symptoms": "用户反映无法登录",
        "solution_steps": "1. 重启服务",
        **content,
    }
    article = services.article_create(by=author, title=title, tag_names=tags, **fields)
    if publish_by is not None:
        article = services.article_publish(article=article, by=publish_by)
    return article
