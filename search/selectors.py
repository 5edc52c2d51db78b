"""The global search (issue 17 item 7): what one box finds among tickets, articles and customers.

Tickets and articles are ranked by the knowledge app's search documents (``knowledge.textsearch``: the
same Chinese bigram / English word search on SQLite FTS5 and PostgreSQL tsvector): a match in a
ticket's error message or an article's title first, then more of the query's words, then relevance.
A ticket number typed exactly is a jump to that ticket; the start of one (``TS-20231001``) lists that
day's tickets. Customers match by name. Each section is shown only with its view permission; ticket
text is masked through ``toolkit.privacy`` for users who may not see the contact details.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from knowledge import textsearch
from knowledge.selectors import RankedArticles, visible_statuses
from toolkit.choices import Stage
from toolkit.models import Customer, Ticket
from toolkit.privacy import free_text_for

SECTION_SIZE = 10
# PostgreSQL ranks at most this many candidates per section (see textsearch.CANDIDATES): the page shows
# the best ten, and "打印" matches 1,700 of 100,000 tickets; more are in the diagnosis table's own search.
CANDIDATES = 200
SNIPPET_AROUND = 60
TICKET_PERMISSION = "toolkit.view_ticket"
ARTICLE_PERMISSION = "knowledge.view_article"
CUSTOMER_PERMISSION = "toolkit.view_customer"
SECTION_PERMISSIONS = (TICKET_PERMISSION, ARTICLE_PERMISSION, CUSTOMER_PERMISSION)
# TS-YYYYMMDD-NNNN (toolkit.services), typed with or without "TS-", in any case.
_NUMBER = re.compile(r"(?:TS-?)?(?P<day>\d{8})(?:-(?P<seq>\d{0,6}))?", re.IGNORECASE)
# Fields an article's snippet is taken from, the first that holds a query word.
ARTICLE_SNIPPET_FIELDS = ("symptoms", "error_messages", "root_cause", "solution_steps", "prevention")


@dataclass
class Section:
    rows: list = field(default_factory=list)  # TicketHit / ArticleHit / CustomerHit, best first
    count: int = 0
    capped: bool = False  # PostgreSQL ranked only the best candidates: "more than" count
    allowed: bool = True

    @property
    def more(self) -> bool:
        return self.count > len(self.rows)


@dataclass
class TicketHit:
    ticket: Ticket
    error_html: str  # escaped, query words marked, contact details masked as the user must see them
    snippet_html: str


@dataclass
class ArticleHit:
    article: Any
    title_html: str
    snippet_html: str


@dataclass
class CustomerHit:
    customer: Customer
    name_html: str
    ticket_open: int
    ticket_total: int


@dataclass
class SearchResults:
    q: str
    tickets: Section
    articles: Section
    customers: Section
    jump: Ticket | None = None

    @property
    def empty(self) -> bool:
        return not (self.tickets.rows or self.articles.rows or self.customers.rows)


def _number_match(q: str) -> tuple[str, str] | None:
    """("exact", number) for a whole ticket number, ("prefix", start) for its start; None otherwise."""
    match = _NUMBER.fullmatch(q.replace(" ", ""))
    if match is None:
        return None
    day, seq = match.group("day"), match.group("seq")
    prefix = f"TS-{day}"
    if seq is not None and len(seq) >= 4:
        return ("exact", f"{prefix}-{seq}")
    return ("prefix", f"{prefix}-{seq}" if seq else prefix)


def _tickets(q: str, terms, words, user) -> Section:
    number = _number_match(q)
    queryset = Ticket.objects.select_related("customer")
    if number is not None:
        kind, value = number
        if kind == "exact":
            rows = list(queryset.filter(number=value)[:1])
            return Section(rows=_ticket_hits(rows, [], user), count=len(rows))
        # A range, so the unique index on number serves it (LIKE 'x%' needs text_pattern_ops on PostgreSQL).
        found = list(
            queryset.filter(number__gte=value, number__lt=value + "~").order_by("-number")[: SECTION_SIZE + 1]
        )
        return Section(rows=_ticket_hits(found[:SECTION_SIZE], [], user), count=len(found))
    hits = textsearch.search(textsearch.TICKETS, terms, limit=SECTION_SIZE, candidates=CANDIDATES)
    tickets = queryset.in_bulk([row[0] for row in hits.rows])
    ranked = [tickets[row[0]] for row in hits.rows if row[0] in tickets]
    # Capped, the count depends on which candidates the index gave first: say "more than CANDIDATES".
    count = CANDIDATES if hits.capped else hits.count
    return Section(rows=_ticket_hits(ranked, words, user), count=count, capped=hits.capped)


def _ticket_hits(tickets: list[Ticket], words, user) -> list[TicketHit]:
    hits = []
    for ticket in tickets:
        error = free_text_for(user, ticket, ticket.error_message or "")
        description = free_text_for(user, ticket, ticket.description or "")
        hits.append(
            TicketHit(
                ticket=ticket,
                error_html=textsearch.highlight(error, words, around=SNIPPET_AROUND) if error else "",
                snippet_html=textsearch.highlight(description, words, around=SNIPPET_AROUND),
            )
        )
    return hits


def _articles(terms, words, user) -> Section:
    """The articles the user may read (knowledge's visible statuses), ranked by knowledge's own search."""
    statuses = visible_statuses(user)
    where = f"AND d.status IN ({', '.join(['%s'] * len(statuses))})"
    ranked = RankedArticles(terms, where, list(statuses), first=slice(0, SECTION_SIZE))
    count = ranked.count()
    hits = []
    for article in ranked[0:SECTION_SIZE]:
        source = next(
            (
                getattr(article, name)
                for name in ARTICLE_SNIPPET_FIELDS
                if textsearch.contains(getattr(article, name), words)
            ),
            article.symptoms,
        )
        hits.append(
            ArticleHit(
                article=article,
                title_html=textsearch.highlight(article.title, words),
                snippet_html=textsearch.highlight(source, words, around=SNIPPET_AROUND),
            )
        )
    return Section(rows=hits, count=count, capped=ranked.capped)


def _customers(q: str, words) -> Section:
    """Customers whose name holds the text (a few hundred rows: a scan is cheaper than an index here),
    names starting with it first, then shorter names; each with its open and total tickets (counted
    over the tickets' customer index)."""
    # Counted per customer shown (correlated subqueries over the tickets' customer index): a join and
    # GROUP BY made PostgreSQL hash all 100,000 tickets (250 ms) to count four customers' ones.
    tickets = Ticket.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    queryset = (
        Customer.objects.filter(name__icontains=q)
        .annotate(
            ticket_total=Coalesce(Subquery(tickets.annotate(n=Count("pk")).values("n")), 0),
            ticket_open=Coalesce(
                Subquery(tickets.filter(stage__in=Stage.open_stages()).annotate(n=Count("pk")).values("n")),
                0,
            ),
        )
        .order_by("name")
    )
    found = list(queryset[: SECTION_SIZE * 5])
    lowered = q.casefold()
    found.sort(key=lambda customer: (not customer.name.casefold().startswith(lowered), len(customer.name)))
    hits = [
        CustomerHit(
            customer=customer,
            name_html=textsearch.highlight(customer.name, words or [q]),
            ticket_open=customer.ticket_open,
            ticket_total=customer.ticket_total,
        )
        for customer in found[:SECTION_SIZE]
    ]
    return Section(rows=hits, count=len(found))


def global_search(*, q: str, user) -> SearchResults:
    """Everything ``q`` finds that ``user`` may see, in three ranked sections of at most SECTION_SIZE.

    A ticket number typed exactly sets ``jump`` (when the user may view tickets). Six queries whatever
    the data: the number or ticket search, the tickets' rows, the article search, the articles' rows
    (and their tags), the customers with their counts.
    """
    q = q.strip()
    terms = textsearch.query_terms(q)
    words = textsearch.needles(q)
    results = SearchResults(q=q, tickets=Section(), articles=Section(), customers=Section())
    if user.has_perm(TICKET_PERMISSION):
        results.tickets = _tickets(q, terms, words, user)
        number = _number_match(q)
        if number is not None and number[0] == "exact" and results.tickets.rows:
            results.jump = results.tickets.rows[0].ticket
    else:
        results.tickets.allowed = False
    if user.has_perm(ARTICLE_PERMISSION):
        results.articles = _articles(terms, words, user) if terms else Section()
    else:
        results.articles.allowed = False
    if user.has_perm(CUSTOMER_PERMISSION):
        results.customers = _customers(q, words)
    else:
        results.customers.allowed = False
    return results
