"""Production's static files: collected with WhiteNoise's compressed manifest storage, hashed copies only
(WHITENOISE_KEEP_ONLY_HASHED_FILES), and every asset a page names is among them."""

import re

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils.functional import empty

PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}}
    call_command("collectstatic", interactive=False, verbosity=0)
    staticfiles_storage._setup()  # read the manifest just written
    yield tmp_path
    staticfiles_storage._wrapped = empty  # the next test gets the test settings' storage again


def test_only_hashed_copies_are_kept_and_every_named_asset_exists(collected, manager_client, engineer):
    assert (collected / "staticfiles.json").exists()
    assert not (collected / "bootstrap/css/bootstrap.min.css").exists()
    assert list((collected / "bootstrap/css").glob("bootstrap.min.*.css"))
    named = set()
    for path in (reverse("diagnosis:list"), reverse("diagnosis:new"), reverse("home"), "/api/v1/docs"):
        page = manager_client.get(path).content.decode()
        named |= set(re.findall(r"""/static/([^"'?#\s]+)""", page))
    assert any(name.startswith("bootstrap/css/bootstrap.min.") for name in named)
    missing = sorted(name for name in named if not (collected / name).is_file())
    assert missing == []
