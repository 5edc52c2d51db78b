"""Reads for chapter 6: the article list and its search, suggestions while a ticket is typed, the
ticket panel, and the pre-filled article captured from a resolved ticket.

Ranking happens in the database (``knowledge.textsearch``); Python only loads the page's rows.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext

from toolkit import chapters
from toolkit.choices import Stage
from toolkit.models import Ticket
from toolkit.periods import MonthBuckets, local_midnight
from toolkit.privacy import free_text_for, mask_free_text

from . import textsearch
from .models import Article, ArticleLink, ArticleStatus, ArticleVersion, HelpfulVote, Tag

PAGE_SIZE = 20
SUGGESTION_LIMIT = 5
# Suggestions show the top five while the engineer types: rank the best 200 candidates of each kind.
SUGGESTION_CANDIDATES = 200
SNIPPET_AROUND = 60
RESOLVED_STAGES = [Stage.EVALUATION, Stage.CLOSED]
PUBLISH_PERMISSION = "knowledge.publish_article"
CHANGE_PERMISSION = "knowledge.change_article"
# The fields a body match is shown from, in this order.
SNIPPET_FIELDS = ("symptoms", "error_messages", "root_cause", "solution_steps", "prevention", "environment")


def user_can_publish(user) -> bool:
    return user.has_perm(PUBLISH_PERMISSION)


def visible_statuses(user) -> list[str]:
    """Readers see published articles; editors also drafts and those in review; reviewers everything."""
    if user_can_publish(user):
        return list(ArticleStatus.values)
    if user.has_perm(CHANGE_PERMISSION):
        return [ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED]
    return [ArticleStatus.PUBLISHED]


def _with_tags(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("author").prefetch_related(Prefetch("tags", Tag.objects.order_by("name")))


def _filter_sql(*, status: str, type: str = "", tag: str = "") -> tuple[str, list]:
    """The list's filters as SQL on the article's search document "d" (values as parameters)."""
    where, params = "AND d.status = %s", [status]
    if type:
        where += " AND d.type = %s"
        params.append(type)
    if tag:
        where += (
            " AND d.article_id IN (SELECT at.article_id FROM knowledge_article_tags at "
            "JOIN knowledge_tag tg ON tg.id = at.tag_id WHERE tg.name = %s)"
        )
        params.append(tag)
    return where, params


class RankedArticles:
    """Search hits as a sequence Paginator can page. One search query answers both the count and the
    page asked for (``first``); another page (Paginator clamping a number past the end) is one more.

    ``capped`` tells, after count(), that PostgreSQL ranked only the best candidates (see
    textsearch.CANDIDATES): the page then says "more than" and asks for more words.
    """

    def __init__(self, terms, where: str, params: list, *, first: slice):
        self.terms, self.where, self.params = terms, where, params
        self.first = first
        self._hits: textsearch.Hits | None = None
        self.capped = False

    def _search(self, window: slice):
        return textsearch.search(
            textsearch.ARTICLES,
            self.terms,
            where=self.where,
            params=self.params,
            limit=window.stop - window.start,
            offset=window.start,
        )

    def count(self) -> int:
        hits = self._hits
        if hits is None:
            hits = self._search(self.first)
            if not hits.rows and self.first.start > 0:
                # Past the end: the window count came back empty; ask from the start.
                hits = self._search(slice(0, self.first.stop - self.first.start))
                self.first = slice(0, self.first.stop - self.first.start)
            self._hits = hits
            self.capped = hits.capped
        return hits.count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Article]:
        self.count()
        hits = self._hits if window == self.first and self._hits is not None else self._search(window)
        articles = _with_tags(Article.objects.filter(pk__in=[row[0] for row in hits.rows])).in_bulk()
        ordered = []
        for pk, title_hits, term_hits, relevance in hits.rows:
            article = articles[pk]
            article.title_hits, article.term_hits, article.relevance = title_hits, term_hits, relevance
            ordered.append(article)
        return ordered


def _page_number(page) -> int:
    try:
        return max(int(page), 1)
    except (TypeError, ValueError):
        return 1


def article_page(*, q: str = "", type: str = "", tag: str = "", status: str = "", page=1):
    """One page of the article list: ranked search hits when q has words, else newest first.

    Returns a Django Page; with a search, each article carries ``title_html`` and ``snippet_html``
    (escaped text with the query's words marked).
    """
    status = status or ArticleStatus.PUBLISHED
    terms = textsearch.query_terms(q)
    if terms:
        where, params = _filter_sql(status=status, type=type, tag=tag)
        number = _page_number(page)
        ranked = RankedArticles(
            terms, where, params, first=slice((number - 1) * PAGE_SIZE, number * PAGE_SIZE)
        )
        # RankedArticles is the count() and slice access Paginator uses, not the whole Sequence protocol.
        result: Page[Article] = Paginator(ranked, PAGE_SIZE).get_page(number)  # type: ignore[arg-type]
        result.capped = ranked.capped
        words = textsearch.needles(q)
        for article in result:
            article.title_html = textsearch.highlight(article.title, words)
            source = next(
                (
                    getattr(article, name)
                    for name in SNIPPET_FIELDS
                    if textsearch.contains(getattr(article, name), words)
                ),
                article.symptoms,
            )
            article.snippet_html = textsearch.highlight(source, words, around=SNIPPET_AROUND)
        return result
    queryset = Article.objects.filter(status=status)
    if type:
        queryset = queryset.filter(type=type)
    if tag:
        queryset = queryset.filter(tags__name=tag)
    queryset = _with_tags(queryset).order_by("-published_at", "-id")
    result = Paginator(queryset, PAGE_SIZE).get_page(page)
    for article in result:
        article.title_html = textsearch.highlight(article.title, [])
        article.snippet_html = textsearch.highlight(article.symptoms, [], around=SNIPPET_AROUND * 2)
    return result


def article_writer_ids(article: Article) -> set[int]:
    """The author and everyone who saved a version of the content: none of them may publish it
    (four-eyes: a second reviewer publishes what a reviewer wrote)."""
    writers = set(ArticleVersion.objects.filter(article_id=article.pk).values_list("saved_by_id", flat=True))
    return writers | {article.author_id}


def workflow_actions(user, article: Article) -> dict:
    """Which review buttons the user gets on the article's page."""
    status, reviewer = article.status, user_can_publish(user)
    publishable = reviewer and status in (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW)
    own = publishable and user.pk in article_writer_ids(article)
    return {
        "can_submit": status == ArticleStatus.DRAFT and user.has_perm(CHANGE_PERMISSION),
        "can_publish": publishable and not own,
        "own_article": own,
        "can_return": reviewer and status == ArticleStatus.IN_REVIEW,
        "can_archive": reviewer and status != ArticleStatus.ARCHIVED,
    }


def all_tags() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def article_for_page(pk: int) -> Article:
    """The article with its people, tags and source tickets (raises DoesNotExist)."""
    return (
        _with_tags(Article.objects.select_related("reviewer"))
        .prefetch_related(Prefetch("source_tickets", Ticket.objects.order_by("number")))
        .get(pk=pk)
    )


def versions_of(article: Article) -> QuerySet[ArticleVersion]:
    return ArticleVersion.objects.filter(article=article).select_related("saved_by").order_by("-number")


def has_voted(article: Article, user) -> bool:
    return HelpfulVote.objects.filter(article=article, user=user).exists()


def link_count(article: Article) -> int:
    return ArticleLink.objects.filter(article=article).count()


# ---------------------------------------------------------------- suggestions while typing


@dataclass
class Suggestions:
    articles: list = field(default_factory=list)
    tickets: list = field(default_factory=list)
    searched: bool = False


def suggestions(
    *, description: str = "", error_message: str = "", exclude_ticket=None, viewer=None
) -> Suggestions:
    """Published articles and resolved/closed tickets that look like the text being typed.

    A ticket's snippet has its phones and e-mails masked unless `viewer` may see its contact details.

    Four queries at most: two ranked searches (relevance only), then the rows of each.
    """
    terms = textsearch.similarity_terms(error_message, description)
    if not terms:
        return Suggestions()
    # Rows sharing five-character pieces are always among the ranked candidates (near-duplicates).
    strong = textsearch.similarity_terms(error_message, description, limit=8, size=5)
    words = [term.text for term in terms]
    article_rows = textsearch.search(
        textsearch.ARTICLES,
        terms,
        where="AND d.status = %s",
        params=[ArticleStatus.PUBLISHED],
        limit=SUGGESTION_LIMIT,
        by_terms=False,
        candidates=SUGGESTION_CANDIDATES,
        strong=strong,
    ).rows
    where, params = "AND d.stage IN (%s, %s)", list(RESOLVED_STAGES)
    if exclude_ticket is not None:
        where += " AND d.ticket_id <> %s"
        params.append(exclude_ticket.pk)
    ticket_rows = textsearch.search(
        textsearch.TICKETS,
        terms,
        where=where,
        params=params,
        limit=SUGGESTION_LIMIT,
        by_terms=False,
        candidates=SUGGESTION_CANDIDATES,
        strong=strong,
    ).rows
    articles = Article.objects.in_bulk([row[0] for row in article_rows]) if article_rows else {}
    tickets = (
        Ticket.objects.select_related("customer").in_bulk([row[0] for row in ticket_rows])
        if ticket_rows
        else {}
    )
    result = Suggestions(searched=True)
    for row in article_rows:
        article = articles[row[0]]
        article.title_html = textsearch.highlight(article.title, words)
        article.snippet_html = textsearch.highlight(article.symptoms, words, around=40)
        result.articles.append(article)
    for row in ticket_rows:
        ticket = tickets[row[0]]
        text = free_text_for(viewer, ticket, ticket.description)
        ticket.snippet_html = textsearch.highlight(text, words, around=40)
        result.tickets.append(ticket)
    return result


def published_articles_search(q: str, *, limit: int = 10) -> list[Article]:
    """Published articles for the ticket panel's "link an article" picker, best first."""
    terms = textsearch.query_terms(q)
    if not terms:
        return []
    return RankedArticles(terms, *_filter_sql(status=ArticleStatus.PUBLISHED), first=slice(0, limit))[0:limit]


# ---------------------------------------------------------------- the ticket page


@dataclass
class KnowledgePanel:
    links: list  # ArticleLink with article and linked_by
    captured: list  # articles whose source tickets include this one
    can_capture: bool  # the ticket is resolved (evaluation or closed)


def knowledge_panel(ticket: Ticket) -> KnowledgePanel:
    """What the ticket detail page shows of chapter 6, in two queries."""
    links = list(
        ArticleLink.objects.filter(ticket=ticket).select_related("article", "linked_by").order_by("linked_at")
    )
    captured = list(Article.objects.filter(source_tickets=ticket).order_by("-created_at")[:5])
    return KnowledgePanel(links=links, captured=captured, can_capture=ticket.stage in RESOLVED_STAGES)


# "无", "none": the document's own rows write these where there is no error message.
NO_ERROR_TEXTS = {"", "无", "没有", "暂无", "none", "n/a", "na", "-", "—", "/"}
CAPTURE_TITLE_MAX = 80
# Where a sentence or a clause ends, in Chinese and English text.
_CLAUSE_END = re.compile(r"[,，。.!！?？;；:：\n]")
_EDGE_PUNCTUATION = " \t\"'“”‘’「」《》()（）[]【】,，。.!！?？;；:：、"


def _error_text(ticket: Ticket) -> str:
    text = mask_free_text(ticket.error_message or "").strip()
    return "" if text.casefold() in NO_ERROR_TEXTS else text


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _first_clause(text: str) -> str:
    return next(
        (part.strip(_EDGE_PUNCTUATION) for part in _CLAUSE_END.split(text) if part.strip(_EDGE_PUNCTUATION)),
        "",
    )


def capture_title(ticket: Ticket) -> str:
    """A proposed article title: the error text (else the description's first clause) and the root cause,
    e.g. "验证码错误,请重试:验证码接口异常". Not the customer's whole sentence (issue 17 item 6)."""
    problem = _first_line(_error_text(ticket)).strip(_EDGE_PUNCTUATION)
    if not problem:
        problem = _first_clause(mask_free_text(ticket.description or ""))
    cause = _first_line(mask_free_text(ticket.preliminary_judgement or "")).strip(_EDGE_PUNCTUATION)
    if problem and cause and cause.casefold() not in problem.casefold():
        title = gettext("%(problem)s: %(cause)s") % {"problem": problem, "cause": cause}
    else:
        title = problem or cause or ticket.number
    return title if len(title) <= CAPTURE_TITLE_MAX else title[: CAPTURE_TITLE_MAX - 1] + "…"


def capture_initial(ticket: Ticket) -> dict:
    """An article pre-filled from a resolved ticket: its diagnosis, approved solution and verification.

    Symptoms are the customer's description, root cause the (verified) judgement, solution steps the
    approved option's approach followed by how the fix was verified. Prevention stays for the author:
    a verification says the fix worked, not how to stop the problem coming back."""
    option = chapters.provided("approved_option")(ticket)
    verification = chapters.provided("verification_of")(ticket)
    # An article is read by everyone: the customer's phones and e-mails never go into it.
    description = mask_free_text(ticket.description.strip())
    steps = option.approach.strip() if option is not None else ""
    note = mask_free_text((getattr(verification, "note", "") or "").strip())
    if note:
        verified = gettext("How the fix was verified: %(note)s") % {"note": note}
        steps = f"{steps}\n\n{verified}" if steps else verified
    return {
        "title": capture_title(ticket),
        "type": ticket.problem_type,
        "symptoms": description,
        "error_messages": _error_text(ticket),
        "root_cause": mask_free_text(ticket.preliminary_judgement),
        "solution_steps": steps,
        "prevention": "",
        "source_ticket_ids": [ticket.pk],
    }


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


@dataclass
class CaptureExisting:
    same_error: list  # published articles whose error messages hold this ticket's error text
    from_ticket: list  # articles already captured from this ticket, any status


def capture_existing(ticket: Ticket) -> CaptureExisting:
    """Articles the author should see before capturing another (issue 17 item 6): published ones for the
    same error message (found through the search index, then checked for the whole error text), and
    the ones already captured from this ticket."""
    error = _error_text(ticket)
    same = []
    if error:
        needle = _squeezed(error)
        same = [
            a for a in published_articles_search(error, limit=20) if needle in _squeezed(a.error_messages)
        ]
    from_ticket = list(
        Article.objects.filter(source_tickets=ticket)
        .exclude(pk__in=[a.pk for a in same])
        .order_by("-created_at")[:5]
    )
    return CaptureExisting(same_error=same[:5], from_ticket=from_ticket)


def reuse_by_month(*, start: date, end: date) -> dict:
    """The dashboard's knowledge-reuse figure, per month from ``start`` to ``end``: closed tickets (by
    the month the problem occurred) with a linked article, and article links made in the month. Two
    queries (a semi-join on the tickets, a range on the links' index)."""
    begin, finish = local_midnight(start), local_midnight(end + timedelta(days=1))
    tickets = MonthBuckets("occurred_at", start, end)
    with_article = (
        Ticket.objects.filter(stage=Stage.CLOSED, occurred_at__gte=begin, occurred_at__lt=finish)
        .filter(Exists(ArticleLink.objects.filter(ticket=OuterRef("pk"))))
        .values(month=tickets.expression)
        .annotate(count=Count("pk"))
        .order_by()
    )
    links = MonthBuckets("linked_at", start, end)
    made = (
        ArticleLink.objects.filter(linked_at__gte=begin, linked_at__lt=finish)
        .values(month=links.expression)
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {month: {"links": 0, "with_article": 0} for month in tickets.months or []}
    for row in with_article:
        counts[tickets.month(row["month"])]["with_article"] = row["count"]
    for row in made:
        counts[links.month(row["month"])]["links"] = row["count"]
    return counts
