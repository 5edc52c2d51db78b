"""Writes for chapter 6. Every change of an article's content saves a version and refreshes its search
document in the same transaction, so the index never drifts from the articles."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from toolkit import events
from toolkit.choices import EventKind, Stage
from toolkit.models import Ticket, User

from . import textsearch
from .models import (
    CONTENT_FIELDS,
    Article,
    ArticleLink,
    ArticleSearchDoc,
    ArticleStatus,
    ArticleVersion,
    HelpfulVote,
    Tag,
    TicketSearchDoc,
)
from .selectors import article_writer_ids

PUBLISH_PERMISSION = "knowledge.publish_article"
RESOLVED_STAGES = (Stage.EVALUATION, Stage.CLOSED)
INDEX_BATCH = 2000


# ---------------------------------------------------------------- search documents


def _article_doc(article: Article, tag_names) -> ArticleSearchDoc:
    body = textsearch.document_terms(
        article.environment,
        article.symptoms,
        article.error_messages,
        article.root_cause,
        article.solution_steps,
        article.prevention,
        " ".join(tag_names),
    )
    return ArticleSearchDoc(
        article_id=article.pk,
        title=textsearch.document_terms(article.title),
        body=body,
        status=article.status,
        type=article.type,
    )


def _ticket_doc(ticket: Ticket) -> TicketSearchDoc:
    return TicketSearchDoc(
        ticket_id=ticket.pk,
        title=textsearch.document_terms(ticket.error_message),
        body=textsearch.document_terms(ticket.description),
        stage=ticket.stage,
    )


def _upsert(model, docs, key: str, fields: list[str]) -> None:
    # One statement on both databases (INSERT … ON CONFLICT DO UPDATE).
    model.objects.bulk_create(docs, update_conflicts=True, unique_fields=[key], update_fields=fields)


def article_index(*, article: Article) -> None:
    """Refresh one article's search document (title, content fields and tag names)."""
    tag_names = [tag.name for tag in article.tags.all()]
    _upsert(
        ArticleSearchDoc, [_article_doc(article, tag_names)], "article", ["title", "body", "status", "type"]
    )


def ticket_index(*, ticket: Ticket) -> None:
    """Refresh one ticket's search document (description, error message, stage); on every save."""
    tickets_index([ticket])


def tickets_index(tickets) -> None:
    """The same for many tickets at once, for code that bulk-creates them (no post_save signal)."""
    _upsert(
        TicketSearchDoc, [_ticket_doc(ticket) for ticket in tickets], "ticket", ["title", "body", "stage"]
    )


def _rebuild(queryset, model, make_doc, batch_size: int) -> int:
    """Write the docs of queryset's rows in primary-key batches (keyset, so each batch is an index seek)."""
    written, last = 0, 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:batch_size])
        if not chunk:
            return written
        model.objects.bulk_create([make_doc(row) for row in chunk])
        written += len(chunk)
        last = chunk[-1].pk


def search_index_rebuild(*, batch_size: int = INDEX_BATCH) -> tuple[int, int]:
    """Rebuild every article's and ticket's search document; returns (articles, tickets).

    Also the repair after rows were written without the services (bulk imports, raw SQL).
    """
    with transaction.atomic():
        ArticleSearchDoc.objects.all().delete()
        TicketSearchDoc.objects.all().delete()
        articles = _rebuild(
            Article.objects.prefetch_related("tags"),
            ArticleSearchDoc,
            lambda article: _article_doc(article, [tag.name for tag in article.tags.all()]),
            batch_size,
        )
        tickets = _rebuild(
            Ticket.objects.only("pk", "description", "error_message", "stage"),
            TicketSearchDoc,
            _ticket_doc,
            batch_size,
        )
    if connection.vendor == "sqlite":
        # Merge the many small index segments the batches wrote (FTS5's own maintenance command).
        with connection.cursor() as cursor:
            for index in (textsearch.ARTICLES, textsearch.TICKETS):
                cursor.execute(f"INSERT INTO {index.fts_table}({index.fts_table}) VALUES ('optimize')")  # noqa: S608
    return articles, tickets


# ---------------------------------------------------------------- articles


def _tags_from_names(names) -> list[Tag]:
    tags = []
    for name in names:
        tag, _created = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    return tags


def _save_version(article: Article, by: User) -> ArticleVersion:
    article.version += 1
    Article.objects.filter(pk=article.pk).update(version=article.version)
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        content={name: getattr(article, name) for name in CONTENT_FIELDS if name != "title"},
        saved_by=by,
    )


@transaction.atomic
def article_create(*, by: User, tag_names=(), source_tickets=(), **content) -> Article:
    """A new draft with its first version; its search document is written with it."""
    article = Article(author=by, status=ArticleStatus.DRAFT, **content)
    article.full_clean()
    article.save()
    article.tags.set(_tags_from_names(tag_names))
    if source_tickets:
        article.source_tickets.set(source_tickets)
    _save_version(article, by)
    article_index(article=article)
    return article


def user_can_edit(user: User, article: Article) -> bool:
    """Editors change drafts and articles in review; a published one only reviewers; archived: nobody."""
    if not user.has_perm("knowledge.change_article"):
        return False
    if article.status in (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW):
        return True
    return article.status == ArticleStatus.PUBLISHED and user.has_perm(PUBLISH_PERMISSION)


@transaction.atomic
def article_update(*, article: Article, by: User, tag_names=None, **content) -> Article:
    """Change the content; a new version is saved only when something in it changed."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not user_can_edit(by, article):
        raise ValidationError(_("This article cannot be changed in its present status."))
    changed = False
    for name, value in content.items():
        if name in CONTENT_FIELDS and getattr(article, name) != value:
            setattr(article, name, value)
            changed = True
    article.full_clean()
    article.save()
    if tag_names is not None:
        before = set(article.tags.values_list("name", flat=True))
        if before != set(tag_names):
            article.tags.set(_tags_from_names(tag_names))
            changed = True
    if changed:
        _save_version(article, by)
        article_index(article=article)
    return article


def _move(article: Article, *, allowed_from, to: str, message: str, **fields) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status not in allowed_from:
        raise ValidationError(message)
    article.status = to
    for name, value in fields.items():
        setattr(article, name, value)
    article.save(update_fields=["status", "updated_at", *fields])
    ArticleSearchDoc.objects.filter(article_id=article.pk).update(status=to)
    return article


@transaction.atomic
def article_submit(*, article: Article, by: User) -> Article:
    """Draft → in review. Those who may publish it (reviewers who neither wrote nor edited it) are told,
    and the team chat."""
    article = _move(
        article,
        allowed_from=[ArticleStatus.DRAFT],
        to=ArticleStatus.IN_REVIEW,
        message=_("Only a draft can be submitted for review."),
    )
    events.notify(
        kind=EventKind.ARTICLE_AWAITING_REVIEW,
        recipients=events.users_with_permission(PUBLISH_PERMISSION).exclude(
            pk__in=article_writer_ids(article)
        ),
        actor=by,
        link=article.get_absolute_url(),
        params={"title": article.title},
        chat=True,
    )
    return article


def _require_reviewer(by: User) -> None:
    if not by.has_perm(PUBLISH_PERMISSION):
        raise ValidationError(_("Only managers and administrators review and publish articles."))


@transaction.atomic
def article_publish(*, article: Article, by: User) -> Article:
    """In review (or a draft, by a reviewer directly) → published, by a reviewer who neither wrote nor
    edited it (four-eyes; no override: another manager or an admin publishes it)."""
    _require_reviewer(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if by.pk in article_writer_ids(article):
        raise ValidationError(
            _(
                "You wrote or edited this article: another manager or an administrator must review and "
                "publish it."
            ),
            code="own_article",
        )
    return _move(
        article,
        allowed_from=[ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW],
        to=ArticleStatus.PUBLISHED,
        message=_("Only a draft or an article in review can be published."),
        reviewer=by,
        published_at=timezone.now(),
    )


@transaction.atomic
def article_return(*, article: Article, by: User) -> Article:
    """In review → back to draft (the reviewer wants changes)."""
    _require_reviewer(by)
    return _move(
        article,
        allowed_from=[ArticleStatus.IN_REVIEW],
        to=ArticleStatus.DRAFT,
        message=_("Only an article in review can be sent back."),
        reviewer=by,
    )


@transaction.atomic
def article_archive(*, article: Article, by: User) -> Article:
    """Published (or any other) → archived: no longer suggested or listed by default."""
    _require_reviewer(by)
    return _move(
        article,
        allowed_from=[ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED],
        to=ArticleStatus.ARCHIVED,
        message=_("This article is archived already."),
        reviewer=by,
    )


def article_viewed(*, article: Article) -> None:
    """Count a view in one UPDATE (no read-modify-write race)."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def article_vote_helped(*, article: Article, by: User) -> bool:
    """Record "this helped" once per user; returns False when the user had voted already."""
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationError(_("Only published articles can be voted on."))
    try:
        with transaction.atomic():
            HelpfulVote.objects.create(article=article, user=by)
    except IntegrityError:
        return False
    Article.objects.filter(pk=article.pk).update(helped_count=F("helped_count") + 1)
    return True


# ---------------------------------------------------------------- reuse on tickets


@transaction.atomic
def article_link(*, article: Article, ticket: Ticket, by: User) -> ArticleLink:
    """Record that article was used on ticket (once per pair; linking again returns the first link)."""
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationError(_("Only published articles can be linked to tickets."))
    link, _created = ArticleLink.objects.get_or_create(
        article=article, ticket=ticket, defaults={"linked_by": by}
    )
    return link


def article_link_chosen_at_intake(*, article_id, ticket: Ticket, by: User) -> ArticleLink | None:
    """The intake form's hidden ``knowledge_article`` value, once the ticket exists.

    Anything that is not the id of a published article is ignored, and so is the choice of a user
    who may not link articles: the ticket is saved regardless.
    """
    if not by.has_perm("knowledge.add_articlelink"):
        return None
    try:
        article = Article.objects.get(pk=int(article_id), status=ArticleStatus.PUBLISHED)
    except (TypeError, ValueError, Article.DoesNotExist):
        return None
    return article_link(article=article, ticket=ticket, by=by)
