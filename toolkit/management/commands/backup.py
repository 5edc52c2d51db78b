"""manage.py backup [--output DIR_OR_FILE]: the database and every stored file in one .tar.gz."""

from django.core.management.base import BaseCommand, CommandError

from toolkit.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write the database (Django's serialisation, portable between SQLite and PostgreSQL) and every "
        "file of the storages (MEDIA_ROOT or the S3 bucket) into one .tar.gz with a manifest of "
        "SHA-256 checksums. Restore it with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="a folder (a dated file name is made in it) or a file name; default: the current folder",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        try:
            summary = backup(options["output"], using=options["database"])
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backup written: {summary.path} ({summary.rows} rows, {summary.files} files, "
            f"{summary.bytes / 1e6:.1f} MB)"
        )
