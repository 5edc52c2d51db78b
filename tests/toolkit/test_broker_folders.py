"""Importing the settings creates nothing on disk; the filesystem broker's folders come with Celery."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from toolkit.celery import _make_broker_folders, app

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_settings_creates_no_file_or_folder(tmp_path):
    """A copy of the settings module whose BASE_DIR is an empty folder: still empty after the import."""
    (tmp_path / "toolkit").mkdir()
    shutil.copy(ROOT / "toolkit" / "settings.py", tmp_path / "toolkit" / "settings.py")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env["DJANGO_DEBUG"] = "true"
    # The settings read the sign-in options through accounts.sso_settings: the project's packages stay
    # importable, while BASE_DIR (from the copied file's place) is the empty folder.
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    code = "import runpy, sys; s = runpy.run_path(sys.argv[1]); print(s['CELERY_BROKER_URL'])"
    result = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-c", code, str(tmp_path / "toolkit" / "settings.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1].startswith("filesystem://")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "toolkit",
        os.path.join("toolkit", "settings.py"),
    ]


def test_configuring_celery_makes_the_filesystem_brokers_folders(tmp_path):
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }
    _make_broker_folders(sender=app, source=SimpleNamespace(broker_transport_options=options))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["control", "processed", "queue"]


def test_other_brokers_get_no_folders(tmp_path):
    redis = SimpleNamespace(broker_transport_options={"visibility_timeout": 60})
    _make_broker_folders(sender=app, source=redis)
    assert list(tmp_path.iterdir()) == []
