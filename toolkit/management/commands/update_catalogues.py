"""Refresh the translation catalogues in one step: collect messages, fill Chinese, compile.

    python manage.py update_catalogues --zh new-messages.json

The JSON file maps English msgids to their Chinese text; entries it names are filled (and lose any
fuzzy mark makemessages guessed). Several people may run this at once: a file lock serialises them,
so nobody's catalogue edit is lost to another's rewrite.
"""

import fcntl
import json
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

IGNORED = [".venv", "staticfiles", "benchmarks", "tests", ".broker", "docs"]


class Command(BaseCommand):
    help = "Collect messages into the zh_Hans and en catalogues, fill Chinese from a JSON file, compile."

    def add_arguments(self, parser):
        parser.add_argument("--zh", action="append", default=[], help="JSON file of {msgid: Chinese text}")

    def handle(self, *args, zh, **options):
        translations = {}
        for path in zh:
            try:
                translations.update(json.loads(Path(path).read_text(encoding="utf-8")))
            except (OSError, ValueError) as error:
                raise CommandError(f"{path}: {error}") from error
        locale_dir = Path(settings.LOCALE_PATHS[0])
        with open(locale_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            call_command(
                "makemessages",
                locale=["zh_Hans", "en"],
                ignore_patterns=IGNORED,
                no_location=True,
                verbosity=0,
            )
            catalogue = polib.pofile(str(locale_dir / "zh_Hans/LC_MESSAGES/django.po"))
            for entry in catalogue:
                if entry.msgid in translations:
                    entry.msgstr = translations[entry.msgid]
                    if entry.fuzzy:
                        entry.flags.remove("fuzzy")
            catalogue.save()
            missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or e.fuzzy)]
            call_command("compilemessages", locale=["zh_Hans", "en"], verbosity=0)
        for msgid in missing:
            self.stdout.write(f"untranslated: {msgid!r}")
        self.stdout.write(f"{len(catalogue.translated_entries())} translated, {len(missing)} missing")
