"""Full-text search for Chinese and English on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Chinese has no spaces between words, and both databases' tokenizers cut text at spaces and
punctuation. So text is cut here, the same way for documents and queries, into *terms*:

* a run of CJK characters becomes its overlapping character bigrams, followed by its last character
  on its own ("提示验证码错误" → 提示 示验 验证 证码 码错 错误 误); a one-character run is that character;
* a run of letters and digits becomes its lower-cased self, followed by its parts when it has any
  ("Error500" → error500 error 500; "ConnectionTimeout" → connectiontimeout connection timeout).

A query word is turned into the same terms: a CJK run of two or more characters is the *phrase* of
its bigrams (so 验证码 = "验证 证码" in a row, found inside 提示验证码错误, and 登录 is one bigram,
found inside 无法登录系统); a single CJK character is a *prefix* (every character starts a bigram or
is a run's last term); a Latin word or error code is one exact term. Only these generated terms, made
of letters, digits and CJK characters, ever reach the database's query language, and always as bound
parameters: quotes, ``*``, ``-``, ``:``, ``OR``/``NEAR(`` typed by the user are plain text (dropped, or
a quoted term "or").

Ranking (both databases): matches in the title above matches in the body only, then more of the
query's terms matched, then the database's own relevance (FTS5 bm25, PostgreSQL ts_rank).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import mark_safe

MAX_TERMS = 8  # query words beyond this are ignored (each costs an index lookup when ranking)
# A pasted blob (base64, a hex dump) is one "word": PostgreSQL refuses lexemes over 2047 bytes, so
# words are cut, and a document keeps at most MAX_DOCUMENT_TERMS terms (tsvector's 1 MB limit).
MAX_WORD = 60
MAX_DOCUMENT_TERMS = 40_000
MAX_SIMILARITY_TERMS = 24
# Han (with extension A and compatibility ideographs), kana, hangul, and the supplementary planes' Han.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0003134f"
_SEGMENT = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_A-Za-z]+")


def _is_cjk(segment: str) -> bool:
    return bool(_CJK_RUN.fullmatch(segment))


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _word_terms(word: str) -> list[str]:
    parts = [part.lower()[:MAX_WORD] for part in _PARTS.findall(word)]
    whole = word.lower()[:MAX_WORD]
    return [whole] + (parts if len(parts) > 1 else [])


def document_terms(*texts: str) -> str:
    """The space-separated search terms of texts, in order (positions matter for phrases)."""
    terms: list[str] = []
    for text in texts:
        for segment in _SEGMENT.findall(text or ""):
            if _is_cjk(segment):
                terms.extend(_bigrams(segment))
                terms.append(segment[-1])
            else:
                terms.extend(_word_terms(segment))
    return " ".join(terms[:MAX_DOCUMENT_TERMS])


@dataclass(frozen=True)
class Term:
    """One query unit: a phrase of tokens (one token for a word or a bigram), or a one-token prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False

    @property
    def text(self) -> str:
        """The characters the term stands for (a phrase's bigrams overlap by one character)."""
        return self.tokens[0] + "".join(token[1:] for token in self.tokens[1:])

    # FTS5: "a b" is a phrase, "a"* a prefix; tokens never hold a double quote.
    def fts5(self) -> str:
        return f'"{" ".join(self.tokens)}"' + ("*" if self.prefix else "")

    # PostgreSQL tsquery: 'a' <-> 'b' is a phrase, 'a':* a prefix. The loose form ('a' & 'b') is
    # answered by the GIN index alone (no recheck of the rows), the exact one needs the positions.
    def tsquery(self, *, loose: bool = False) -> str:
        if self.prefix:
            return f"'{self.tokens[0]}':*"
        return (" & " if loose else " <-> ").join(f"'{token}'" for token in self.tokens)


def _dedupe(terms) -> list[Term]:
    seen = []
    for term in terms:
        if term not in seen:
            seen.append(term)
    return seen


def query_terms(text: str, *, limit: int = MAX_TERMS) -> list[Term]:
    """A search box's text as terms (see the module docstring)."""
    terms = []
    for segment in _SEGMENT.findall(text or ""):
        if _is_cjk(segment):
            if len(segment) == 1:
                terms.append(Term((segment,), prefix=True))
            else:
                terms.append(Term(tuple(_bigrams(segment))))
        else:
            terms.append(Term((segment.lower()[:MAX_WORD],)))
    return _dedupe(terms)[:limit]


def similarity_terms(*texts: str, limit: int = MAX_SIMILARITY_TERMS, size: int = 3) -> list[Term]:
    """Terms for "looks like this text" (suggestions while typing a description).

    A typed description as one phrase would match nothing, and its bigrams one by one would match
    nearly everything (系统, 错误). Pieces of ``size`` characters (size - 1 adjacent bigrams; three
    by default) are specific enough to mean something and short enough to be shared:
    无法登录系统 → 无法登, 法登录, 登录系, 录系统. Shorter runs count whole. Latin words and error codes
    count as they are. At most ``limit`` terms, spread over the whole text.
    """
    words, pieces = [], []
    for text in texts:
        for segment in _SEGMENT.findall(text or ""):
            if not _is_cjk(segment):
                words.append(Term((segment.lower()[:MAX_WORD],)))
            elif len(segment) <= size:
                pieces.append(Term(tuple(_bigrams(segment)) or (segment,), prefix=len(segment) == 1))
            else:
                grams = _bigrams(segment)
                pieces.extend(Term(tuple(grams[i : i + size - 1])) for i in range(len(grams) - size + 2))
    words, pieces = _dedupe(words), _dedupe(pieces)
    words = words[: limit // 3 or 1]
    room = limit - len(words)
    if len(pieces) > room > 0:
        step = len(pieces) / room
        pieces = [pieces[int(i * step)] for i in range(room)]
    return words + pieces[: max(room, 0)]


# ---------------------------------------------------------------- highlighting


def needles(text: str) -> list[str]:
    """The literal strings a query stands for, to mark in shown text (CJK runs and words)."""
    return sorted(set(_SEGMENT.findall(text or "")), key=len, reverse=True)


def _pattern(words) -> re.Pattern | None:
    words = sorted({word for word in words if word}, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE) if words else None


def contains(text: str, words) -> bool:
    pattern = _pattern(words)
    return bool(pattern and text and pattern.search(text))


def _merged_spans(text: str, words) -> list[tuple[int, int]]:
    """Where any of words occurs in text (ignoring case), overlapping and touching spans merged:
    the pieces 无法登, 法登录, 登录系 mark 无法登录系 as one."""
    spans = []
    for word in {word.lower() for word in words if word}:
        spans.extend(match.span() for match in re.finditer(re.escape(word), text, re.IGNORECASE))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def highlight(text: str, words, *, around: int | None = None) -> str:
    """text as HTML with words in <mark>: each piece of text is escaped, then the marks put around.

    (Marking after escaping the whole text could cut an entity such as &amp; in two.) With
    ``around``, only that many characters either side of the first match (or of the start) are
    shown, with "…" where the text was cut.
    """
    text = text or ""
    spans = _merged_spans(text, words)
    start, end = 0, len(text)
    if around is not None:
        first = spans[0][0] if spans else 0
        start, end = max(0, first - around), min(len(text), first + around)
        spans = [(a, b) for a, b in spans if a >= start and b <= end]
    parts = ["…" if start > 0 else ""]
    position = start
    for a, b in spans:
        parts.append(escape(text[position:a]))
        parts.append(f"<mark>{escape(text[a:b])}</mark>")
        position = b
    parts.append(escape(text[position:end]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text went through escape()


# ---------------------------------------------------------------- the two databases


@dataclass(frozen=True)
class Index:
    """One searchable kind of row: its doc table (a Django model, alias "d") and its FTS5 table."""

    doc_table: str
    key: str  # the doc table's primary key column = the searched row's id
    fts_table: str


ARTICLES = Index("knowledge_article_doc", "article_id", "knowledge_article_fts")
TICKETS = Index("knowledge_ticket_doc", "ticket_id", "knowledge_ticket_fts")

# PostgreSQL ranks at most this many candidates of each kind (title matches, any matches): scoring a
# row means reading its whole tsvector, and "系统" may match half of the articles. A search with more
# matches is "capped": its best title matches and CANDIDATES of the others are ranked and counted.
CANDIDATES = 1000


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _fts5_any(terms: list[Term]) -> str:
    return " OR ".join(term.fts5() for term in terms)


def _ts_any(terms: list[Term], *, loose: bool = False) -> str:
    return " | ".join(f"({term.tsquery(loose=loose)})" for term in terms)


@dataclass
class Hits:
    rows: list  # (id, title_hits, term_hits, relevance), best first
    count: int
    capped: bool = False


def _sqlite_from(index: Index) -> str:
    # FTS5 wants the table's own name (not an alias) in MATCH and in bm25(). CROSS JOIN keeps the
    # full-text match as the outer loop: left to itself SQLite's planner may scan the other table
    # and run the MATCH once per row (100× slower on 5,000 articles).
    fts = index.fts_table
    return f"FROM {fts} CROSS JOIN {index.doc_table} d ON d.{index.key} = {fts}.rowid WHERE {fts} MATCH %s"


def search(
    index: Index,
    terms: list[Term],
    *,
    where: str = "",
    params=(),
    limit: int = 20,
    offset: int = 0,
    by_terms: bool = True,
    candidates: int | None = None,
    strong: list[Term] | None = None,
) -> Hits:
    """One page of the rows matching any of terms, best first, and how many match: one query.

    ``candidates`` (PostgreSQL) overrides CANDIDATES, e.g. smaller when only the top few are wanted;
    ``strong`` (PostgreSQL) replaces the title matches as the first candidates by rows matching any
    of these more specific terms (suggestions: longer pieces of the typed text).
    ``where`` is an extra condition on the doc row "d" (its denormalised status/type/stage, or its
    key), with placeholders in ``params``. With ``by_terms``, rows are ordered by title_hits then
    term_hits (how many of the terms the title, and the whole text, hold), then relevance; without,
    by relevance alone (suggestions). Only the number of placeholders depends on the query.
    The count comes with the rows (a window count), so a page past the end has no count: 0.
    """
    if not terms:
        return Hits([], 0)
    if is_postgresql():
        sql, sql_params = _postgresql_sql(
            index, terms, where, list(params), by_terms, candidates or CANDIDATES, strong
        )
    else:
        sql, sql_params = _sqlite_sql(index, terms, where, list(params), by_terms)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sql_params, limit, offset])
        fetched = cursor.fetchall()
    rows = [tuple(row[:4]) for row in fetched]
    if not fetched:
        return Hits(rows, 0)
    total, found = fetched[0][4], fetched[0][5]
    return Hits(rows, total, capped=found is not None and found >= (candidates or CANDIDATES))


def _sqlite_sql(index, terms, where, params, by_terms) -> tuple[str, list]:
    fts = index.fts_table
    hit_params = []
    if by_terms:
        one = f"({fts}.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s))"  # noqa: S608
        hits = (
            f"{' + '.join([one] * len(terms))} AS title_hits, {' + '.join([one] * len(terms))} AS term_hits"
        )
        hit_params = [f"title : ({term.fts5()})" for term in terms] + [term.fts5() for term in terms]
    else:
        hits = "0 AS title_hits, 0 AS term_hits"
    # FTS5 wants the table's own name (not an alias) in MATCH and in bm25(). CROSS JOIN keeps the
    # full-text match as the outer loop: left to itself SQLite's planner may scan the doc table and
    # run the MATCH once per row (100× slower on 5,000 articles). bm25 is lower for better matches;
    # the title column weighs ten times the body.
    sql = (
        "SELECT id, title_hits, term_hits, relevance, COUNT(*) OVER () AS total, NULL AS candidates FROM ("  # noqa: S608
        f"SELECT {fts}.rowid AS id, {hits}, -bm25({fts}, 10.0, 1.0) AS relevance "
        f"FROM {fts} CROSS JOIN {index.doc_table} d ON d.{index.key} = {fts}.rowid "
        f"WHERE {fts} MATCH %s {where}) "
        "ORDER BY title_hits DESC, term_hits DESC, relevance DESC, id DESC LIMIT %s OFFSET %s"
    )
    return sql, [*hit_params, _fts5_any(terms), *params]


def _postgresql_sql(index, terms, where, params, by_terms, limit, strong) -> tuple[str, list]:
    """Candidates from the GIN indexes alone (loose query, no row read), then each checked with the
    exact query (phrases in order) and scored, reading its tsvector once (``v``)."""
    key, doc = index.key, index.doc_table
    loose, exact = _ts_any(terms, loose=True), _ts_any(terms)
    first_vector, first = ("vector", _ts_any(strong, loose=True)) if strong else ("title_vector", loose)
    hit_params = []
    if by_terms:
        title = " + ".join(["(tv @@ %s::tsquery)::int"] * len(terms))
        every = " + ".join(["(v @@ %s::tsquery)::int"] * len(terms))
        hits = f"{title} AS title_hits, {every} AS term_hits"
        hit_params = [term.tsquery() for term in terms] * 2
    else:
        hits = "0 AS title_hits, 0 AS term_hits"
    # MATERIALIZED: planned without the LIMIT, the lookups stay GIN bitmap scans (with it, the planner
    # may prefer a sequential scan that reads every row's tsvector until it has enough). ts_rank's
    # weights are {D, C, B, A}: the title (A) counts ten times the body (B).
    sql = (
        f"WITH in_title AS MATERIALIZED (SELECT d.{key} FROM {doc} d "  # noqa: S608
        f"WHERE d.{first_vector} @@ %s::tsquery {where}), "
        f"anywhere AS MATERIALIZED (SELECT d.{key} FROM {doc} d WHERE d.vector @@ %s::tsquery {where}), "
        f"candidates AS ((SELECT {key} FROM in_title LIMIT {int(limit)}) "
        f"UNION (SELECT {key} FROM anywhere LIMIT {int(limit)})), "
        f"scored AS (SELECT d.{key} AS id, d.title_vector || ''::tsvector AS tv, d.vector || ''::tsvector "
        f"AS v FROM {doc} d WHERE d.{key} IN (SELECT {key} FROM candidates) OFFSET 0) "
        f"SELECT id, {hits}, ts_rank('{{0, 0, 0.1, 1.0}}', v, %s::tsquery) AS relevance, "
        "COUNT(*) OVER () AS total, (SELECT COUNT(*) FROM candidates) AS candidates "
        "FROM scored WHERE v @@ %s::tsquery "
        "ORDER BY title_hits DESC, term_hits DESC, relevance DESC, id DESC LIMIT %s OFFSET %s"
    )
    return sql, [first, *params, loose, *params, *hit_params, exact, exact]


def every_term_ids(index: Index, terms: list[Term]) -> tuple[str, list]:
    """SQL (and its parameters) selecting the ids of the rows whose text holds every one of ``terms``:
    a filter, not a ranking — the table keeps its own order. Served by the GIN index (PostgreSQL) or
    the FTS5 table (SQLite); the terms reach the query language only as a bound parameter."""
    if is_postgresql():
        sql = f"SELECT {index.key} FROM {index.doc_table} WHERE vector @@ %s::tsquery"  # noqa: S608
        return sql, [" & ".join(f"({term.tsquery()})" for term in terms)]
    sql = f"SELECT rowid FROM {index.fts_table} WHERE {index.fts_table} MATCH %s"  # noqa: S608
    return sql, [" AND ".join(term.fts5() for term in terms)]
