"""Demo data for chapter 6 (seed_demo, last): each problem scenario's article, written by the demo
engineer and published by the manager (one stays a draft), its source the scenario's first resolved
ticket, and linked to a few of that scenario's resolved tickets (the reuse the dashboard counts)."""

from django.db import transaction

from toolkit.choices import Stage

from . import services
from .models import Article

RESOLVED_STAGES = (Stage.EVALUATION, Stage.CLOSED)
LINKS_PER_ARTICLE = 3


@transaction.atomic
def seed(*, tickets, users, now, scenarios=None) -> list[Article]:
    """`scenarios` maps a ticket id to its demo.scenarios.Scenario; one article per scenario found
    there (once: an article with the same title is left as it is). Returns the articles created."""
    scenarios = scenarios or {}
    author, reviewer = users["engineer"], users["manager"]
    resolved = {}  # scenario key → its resolved tickets, oldest first (the document's rows lead)
    for ticket in sorted(tickets, key=lambda ticket: ticket.recorded_at):
        scenario = scenarios.get(ticket.pk)
        if scenario is not None and ticket.stage in RESOLVED_STAGES:
            resolved.setdefault(scenario.key, []).append(ticket)
    by_key = {scenario.key: scenario for scenario in scenarios.values()}
    existing = set(
        Article.objects.filter(title__in=[s.article.title for s in by_key.values()]).values_list(
            "title", flat=True
        )
    )
    created = []
    for key, scenario in sorted(by_key.items()):
        content = scenario.article
        if content.title in existing:
            continue
        sources = resolved.get(key, [])
        article = services.article_create(
            by=author,
            tag_names=content.tags,
            source_tickets=sources[:1],
            title=content.title,
            type=scenario.problem_type,
            environment=content.environment,
            symptoms=content.symptoms,
            error_messages=content.error_messages,
            root_cause=content.root_cause,
            solution_steps=content.solution_steps,
            prevention=content.prevention,
        )
        if content.published:
            article = services.article_publish(article=article, by=reviewer)
            for ticket in sources[1 : 1 + LINKS_PER_ARTICLE]:
                services.article_link(article=article, ticket=ticket, by=ticket.owner or author)
        created.append(article)
    return created
