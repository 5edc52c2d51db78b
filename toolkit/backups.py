"""Backup and restore of the whole installation: the database and the files (manage.py backup / restore).

One .tar.gz holds ``manifest.json``, ``database.json`` and ``files/<storage>/<name>``:

- the database as Django's own serialisation (dumpdata with natural keys, content types and permissions
  left out: ``migrate`` makes them), so a backup taken on SQLite restores on PostgreSQL and back;
- every file of the file storages (``default``: MEDIA_ROOT, background jobs; ``attachments``: MEDIA_ROOT
  or the S3-compatible bucket), read through the storage API;
- the manifest: when, from which database engine, the migrations applied, and the size and SHA-256 of
  every member, all checked before a restore changes anything.

Restore loads into a migrated database in one transaction: it empties the tables (the post_migrate
handlers put back the content types, permissions and role groups), loads the rows, and writes the
files; any error rolls the database back. It refuses a database that already holds tickets or users
unless forced, and an archive made by a newer version of the application (a migration it does not know).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.core import management
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.json"
FILES = "files"
STORAGES = ("default", "attachments")
# Made by migrate on the target database; rows elsewhere point at them by natural key.
EXCLUDED_MODELS = ("contenttypes", "auth.permission", "sessions")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (nothing was changed)."""


@dataclass
class Summary:
    path: Path
    rows: int
    files: int
    bytes: int


def _sha256(handle) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _walk(storage, folder: str = "") -> Iterator[str]:
    """Every file name in a storage (FileSystemStorage or S3), recursively."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}" if folder else sub)


def _applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def backup_path(output: str | None, *, now: datetime | None = None) -> Path:
    """``output`` as given when it names a .tar.gz file, else a dated file name in that folder (or here)."""
    name = f"service-toolkit-backup-{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}.tar.gz"
    if not output:
        return Path.cwd() / name
    path = Path(output)
    if output.endswith((".tar.gz", ".tgz")) and not path.is_dir():
        return path
    return path / name  # a folder, made if need be


def backup(output: str | None = None, *, using: str = DEFAULT_DB_ALIAS) -> Summary:
    path = backup_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    members: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DATABASE
        # One repeatable-read snapshot on PostgreSQL (every table as of the same instant).
        with transaction.atomic(using=using):
            if connections[using].vendor == "postgresql":
                with connections[using].cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            management.call_command(
                "dumpdata",
                natural_foreign=True,
                natural_primary=False,
                exclude=list(EXCLUDED_MODELS),
                database=using,
                output=str(dump),
                verbosity=0,
            )
        rows = len(json.loads(dump.read_text(encoding="utf-8")))
        with dump.open("rb") as handle:
            digest, size = _sha256(handle)
        members[DATABASE] = {"sha256": digest, "size": size}

        partial = path.with_name(path.name + ".partial")
        file_count = 0
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=DATABASE)
            for alias in STORAGES:
                storage = storages[alias]
                for name in sorted(_walk(storage)):
                    arcname = f"{FILES}/{alias}/{name}"
                    if arcname in members:
                        continue
                    with storage.open(name, "rb") as source:
                        data = source.read()
                    digest = hashlib.sha256(data).hexdigest()
                    members[arcname] = {"sha256": digest, "size": len(data)}
                    info = tarfile.TarInfo(arcname)
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
                    file_count += 1
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(),
                "database_vendor": connections[using].vendor,
                "migrations": _applied_migrations(using),
                "rows": rows,
                "members": members,
            }
            encoded = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(encoded)
            archive.addfile(info, io.BytesIO(encoded))
        partial.replace(path)  # complete or absent: never a half-written backup under the real name
    return Summary(path=path, rows=rows, files=file_count, bytes=path.stat().st_size)


def _safe_member(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _read_archive(path: Path, work: Path) -> dict:
    """Extract and check every member against the manifest; the manifest."""
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{path} is not a backup archive ({error}).") from error
    with archive:
        try:
            manifest = json.loads(archive.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        except (KeyError, AttributeError, ValueError) as error:
            raise BackupError(
                f"{path} has no readable {MANIFEST}: not a backup made by manage.py backup."
            ) from error
        if manifest.get("format") != FORMAT:
            raise BackupError(
                f"{path} is a backup of format {manifest.get('format')!r}; this version reads {FORMAT}."
            )
        expected = manifest.get("members", {})
        seen = set()
        for member in archive.getmembers():
            if member.name == MANIFEST:
                continue
            if not member.isfile() or not _safe_member(member.name) or member.name not in expected:
                raise BackupError(f"{path}: unexpected member {member.name!r}; the archive was altered.")
            source = archive.extractfile(member)
            target = work / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                digest = hashlib.sha256()
                while chunk := source.read(CHUNK):  # type: ignore[union-attr]
                    digest.update(chunk)
                    handle.write(chunk)
            if digest.hexdigest() != expected[member.name]["sha256"]:
                raise BackupError(
                    f"{path}: {member.name} does not match its checksum; the archive is damaged."
                )
            seen.add(member.name)
        missing = set(expected) - seen
        if missing:
            raise BackupError(f"{path}: {len(missing)} member(s) missing, e.g. {sorted(missing)[0]}.")
    return manifest


def database_is_empty(using: str = DEFAULT_DB_ALIAS) -> bool:
    """No tickets and no users: a database just migrated (its seeded settings rows do not count)."""
    ticket = apps.get_model("toolkit", "Ticket")
    user = apps.get_model("toolkit", "User")
    return not ticket.objects.using(using).exists() and not user.objects.using(using).exists()


def restore(path: str | Path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Summary:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        manifest = _read_archive(path, work)
        current = _applied_migrations(using)
        unknown = [
            f"{app}.{name}"
            for app, names in manifest["migrations"].items()
            for name in names
            if name not in current.get(app, [])
        ]
        if unknown:
            raise BackupError(
                "The backup was made by a newer version of the application, or before "
                f"`manage.py migrate` ran here: unknown migrations {', '.join(unknown[:5])}."
            )
        if not force and not database_is_empty(using):
            raise BackupError(
                "The database already holds tickets or users. Restoring replaces everything in it: "
                "run again with --force to do so."
            )
        files = [name for name in manifest["members"] if name.startswith(f"{FILES}/")]
        with transaction.atomic(using=using):
            # Empty every table; post_migrate puts back content types, permissions and role groups.
            management.call_command("flush", interactive=False, database=using, verbosity=0)
            # The role groups post_migrate made again come back from the backup, with their own ids.
            apps.get_model("auth", "Group").objects.using(using).all().delete()
            management.call_command("loaddata", str(work / DATABASE), database=using, verbosity=0)
            for name in files:
                _prefix, alias, stored = name.split("/", 2)
                storage = storages[alias]
                if storage.exists(stored):
                    storage.delete(stored)
                with (work / name).open("rb") as handle:
                    saved = storage.save(stored, ContentFile(handle.read()))
                if saved != stored:
                    raise BackupError(f"The storage {alias!r} stored {stored} as {saved}.")
    return Summary(path=path, rows=manifest["rows"], files=len(files), bytes=path.stat().st_size)
