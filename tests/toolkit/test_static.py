"""Front-end assets come from installed packages and are served locally: no CDN, works offline."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def test_bootstrap_and_htmx_are_found_locally():
    for path in (
        "bootstrap/css/bootstrap.min.css",
        "bootstrap/js/bootstrap.bundle.min.js",
        "django_htmx/htmx-2.min.js",
    ):
        assert finders.find(path), path


def test_no_template_loads_anything_from_another_host():
    remote = re.compile(r"""(src|href)=["'](https?:)?//""")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in TEMPLATE_DIRS
        for path in folder.rglob("*.html")
        if remote.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_pages_link_the_local_assets(engineer_client):
    page = engineer_client.get(reverse("diagnosis:list")).content.decode()
    assert "/static/bootstrap/css/bootstrap.min.css" in page
    assert "/static/django_htmx/htmx-2.min.js" in page
