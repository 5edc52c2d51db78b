"""python manage.py api_token USERNAME [--write] [--days N]: a personal API token, printed once."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.services import DEFAULT_DAYS, api_token_create


class Command(BaseCommand):
    help = "Make a personal API token for USERNAME and print it (only its digest is kept)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--write", action="store_true", help="Scope write (default: read only).")
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="Days until it expires.")
        parser.add_argument("--name", default="manage.py api_token", help="What the token is for.")

    def handle(self, *args, username, write, days, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            issued = api_token_create(user=user, name=name, write=write, days=days)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stderr.write(
            f"Token {issued.token.prefix} for {username}, scope {issued.token.scope}, "
            f"expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only this once:"
        )
        self.stdout.write(issued.secret)
