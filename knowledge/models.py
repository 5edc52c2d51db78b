"""Chapter 6 知识沉淀: articles captured from solved tickets, their versions, reuse and votes, and the
search documents that make Chinese and English text findable.

Search documents (``ArticleSearchDoc``, ``TicketSearchDoc``) hold the text already cut into search
terms by ``knowledge.textsearch`` (Chinese as overlapping character bigrams, English words and error
codes lower-cased). Each database indexes them with its own machinery, created in migration 0001:
SQLite an external-content FTS5 table kept in step by triggers, PostgreSQL a generated ``tsvector``
column with a GIN index. Django only ever reads and writes the plain text columns.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from toolkit.choices import ProblemType, Stage


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


# The content fields: a change to any of them saves a new ArticleVersion.
CONTENT_FIELDS = (
    "title",
    "type",
    "environment",
    "symptoms",
    "error_messages",
    "root_cause",
    "solution_steps",
    "prevention",
)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=ProblemType.choices)
    environment = models.CharField(
        _("products / environment"),
        max_length=300,
        blank=True,
        help_text=_("Product, version, operating system, network: where the problem happens."),
    )
    symptoms = models.TextField(_("symptoms"))
    error_messages = models.TextField(_("error messages"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    solution_steps = models.TextField(
        _("solution steps"), help_text=_("Markdown: numbered steps, `code`, **bold**, links.")
    )
    prevention = models.TextField(_("prevention"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    source_tickets = models.ManyToManyField(
        "toolkit.Ticket", verbose_name=_("source tickets"), blank=True, related_name="source_of_articles"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    helped_count = models.PositiveIntegerField(_("helped"), default=0, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["view_count", "helped_count", "updated_at"])

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("publish_article", _("Can review, publish and archive knowledge articles"))]
        indexes = [
            # The list without a search: WHERE status = … [AND type = …] ORDER BY published_at DESC, id.
            models.Index(fields=["status", "-published_at", "-id"], name="knowledge_article_status_idx"),
            # The type filter: WHERE type = … AND status = ….
            models.Index(fields=["type", "status"], name="knowledge_article_type_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:detail", kwargs={"pk": self.pk})

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """A snapshot of an article's content, saved each time the content changes."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    content = models.JSONField(_("content"))
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique_number"),
        ]
        # The unique constraint's index serves the detail page: WHERE article_id = … ORDER BY number DESC.

    def __str__(self):
        return f"{self.article_id} v{self.number}"


class ArticleLink(models.Model):
    """An article used on a ticket: linking one records the reuse (the dashboard counts these)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="links"
    )
    # A ticket going away takes its link records with it; nothing here ever deletes a ticket.
    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="knowledge_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("article link")
        verbose_name_plural = _("article links")
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket"], name="knowledge_link_unique_ticket"),
        ]
        indexes = [
            # The ticket panel: WHERE ticket_id = … (the unique index leads with article_id).
            models.Index(fields=["ticket"], name="knowledge_link_ticket_idx"),
            # Knowledge reuse on the dashboard: WHERE linked_at >= … GROUP BY month.
            models.Index(fields=["linked_at"], name="knowledge_link_at_idx"),
        ]

    def __str__(self):
        return f"{self.article_id} → {self.ticket_id}"


class HelpfulVote(models.Model):
    """One "this helped" per user and article; ``Article.helped_count`` is the running total."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="helpful_votes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    voted_at = models.DateTimeField(_("voted at"), default=timezone.now)

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="knowledge_vote_once_per_user"),
        ]

    def __str__(self):
        return f"{self.article_id} {self.user_id}"


class ArticleSearchDoc(models.Model):
    """An article's search terms: ``title`` from its title, ``body`` from everything else.

    The column names are also those of the FTS5 table (external content) on SQLite; PostgreSQL adds
    the generated columns ``title_vector`` and ``vector`` (title and body) with GIN indexes.
    """

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="search_doc"
    )
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # Copies of the article's, so the list's filters are checked without a join while searching.
    status = models.CharField(max_length=10, choices=ArticleStatus.choices)
    type = models.CharField(max_length=20, choices=ProblemType.choices)

    class Meta:
        db_table = "knowledge_article_doc"

    def __str__(self):
        return str(self.article_id)


class TicketSearchDoc(models.Model):
    """A ticket's search terms: ``title`` from its error message, ``body`` from its description."""

    ticket = models.OneToOneField(
        "toolkit.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="search_doc"
    )
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # A copy of the ticket's: suggestions want resolved tickets only, checked while searching.
    stage = models.CharField(max_length=20, choices=Stage.choices)

    class Meta:
        db_table = "knowledge_ticket_doc"

    def __str__(self):
        return str(self.ticket_id)
