"""manage.py restore FILE [--force]: put back a backup made by manage.py backup."""

from django.core.management.base import BaseCommand, CommandError

from toolkit.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore the database and the files from a backup made by `manage.py backup`, after checking "
        "every member's checksum. Run `manage.py migrate` first. The database part is one transaction: "
        "on any error nothing is changed. A database that holds tickets or users is refused without --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .tar.gz made by manage.py backup")
        parser.add_argument(
            "--force", action="store_true", help="replace everything in a database that is not empty"
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        try:
            summary = restore(options["file"], force=options["force"], using=options["database"])
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {summary.rows} rows and {summary.files} files from {summary.path}")
