"""manage.py backup → restore round trip: every model's rows and every stored file come back equal, on a
fresh database; a non-empty database is refused without --force; a damaged archive changes nothing."""

import io
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from attachments.models import Attachment
from tests.factories import TicketFactory, UserFactory
from toolkit.backups import EXCLUDED_MODELS
from toolkit.models import ExportLog, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    storages._storages.clear()  # built again from the settings above
    yield
    storages._storages.clear()


def _seed():
    engineer = UserFactory(username="eng", role="engineer")
    tickets = [TicketFactory(owner=engineer, description=f"问题描述 {i}\n=1+1") for i in range(3)]
    ExportLog.objects.create(
        user=engineer,
        table="diagnosis",
        query_string="priority=P1",
        row_count=3,
        contact_details_masked=False,
    )
    storage = storages["attachments"]
    name = storage.save("2026/11/report.log", ContentFile(b"ERROR 500 at login\n" * 100))
    Attachment.objects.create(
        ticket=tickets[0],
        file=name,
        original_name="报错日志.log",
        size=storage.size(name),
        content_type_detected="text/plain",
        uploaded_by=engineer,
    )
    storages["default"].save("jobs/results/x.xlsx", ContentFile(b"PK\x03\x04 not really"))


def _snapshot() -> dict:
    """Every model's rows (natural keys for content types), and every stored file's bytes."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label.split(".")[0] in EXCLUDED_MODELS or label in EXCLUDED_MODELS or not model._meta.managed:
            continue
        rows[label] = serializers.serialize(
            "json", model._default_manager.order_by("pk"), use_natural_foreign_keys=True
        )
    files = {}
    for alias in ("default", "attachments"):
        root = Path(storages[alias].location)
        files[alias] = {
            str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
        }
    return {"rows": rows, "files": files}


def _wipe(tmp_path):
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted((tmp_path / "media").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert not Ticket.objects.exists()


def test_backup_then_restore_on_a_fresh_database_gives_everything_back(tmp_path, capsys):
    _seed()
    before = _snapshot()
    assert before["files"]["attachments"] and before["rows"]["toolkit.ticket"] != "[]"
    call_command("backup", output=str(tmp_path / "backups"))
    archive = next((tmp_path / "backups").glob("service-toolkit-backup-*.tar.gz"))
    assert "Backup written" in capsys.readouterr().out
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "database.json", "files/attachments/2026/11/report.log"} <= names

    _wipe(tmp_path)
    call_command("restore", str(archive))
    after = _snapshot()
    assert after["files"] == before["files"]
    assert after["rows"].keys() == before["rows"].keys()
    for label, rows in before["rows"].items():
        assert after["rows"][label] == rows, label
    # New rows after the restore do not collide with restored ids (sequences moved on).
    TicketFactory()


def test_a_database_in_use_is_refused_without_force(tmp_path):
    _seed()
    path = tmp_path / "b.tar.gz"
    call_command("backup", output=str(path))
    extra = TicketFactory()
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(path))
    assert Ticket.objects.filter(pk=extra.pk).exists()  # nothing changed
    call_command("restore", str(path), force=True)
    assert not Ticket.objects.filter(pk=extra.pk).exists() and Ticket.objects.count() == 3


def test_a_damaged_archive_changes_nothing(tmp_path):
    _seed()
    path = tmp_path / "b.tar.gz"
    call_command("backup", output=str(path))
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(path) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "database.json":
                data = data.replace(b"=1+1", b"=2+2")
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    count = Ticket.objects.count()
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(damaged), force=True)
    assert Ticket.objects.count() == count
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", __file__, force=True)
