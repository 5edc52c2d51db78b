from django.core.management.base import BaseCommand

from knowledge.services import search_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search documents of every knowledge article and ticket (SQLite FTS5 / PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size, **options):
        articles, tickets = search_index_rebuild(batch_size=batch_size)
        self.stdout.write(f"Indexed {articles} articles and {tickets} tickets.")
