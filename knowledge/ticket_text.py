"""The diagnosis table's ``q=`` over the tickets' search documents (chapter 6's index of every ticket).

Provided to the other chapters as "ticket_text_match" (knowledge/chapter.py): a substring search
(``icontains``) over descriptions reads every ticket, ~0.7 s on 100,000 of them; the search documents
answer from an index, with the same Chinese bigrams and English words as the knowledge search.
"""

from django.db.models import Q
from django.db.models.expressions import RawSQL

from .textsearch import TICKETS, every_term_ids, query_terms


def ticket_text_match(text: str) -> Q | None:
    """Tickets whose description or error message holds every word of ``text`` (a Chinese run as its
    phrase, a single character as a prefix); None when ``text`` has no searchable word."""
    terms = query_terms(text)
    if not terms:
        return None
    sql, params = every_term_ids(TICKETS, terms)
    return Q(pk__in=RawSQL(sql, params))  # noqa: S611 - fixed SQL; the words are a bound parameter
