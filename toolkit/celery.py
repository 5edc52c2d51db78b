"""Celery wiring: every CELERY_* Django setting configures the app; tasks are autodiscovered."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolkit.settings")

app = Celery("toolkit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, source, **kwargs):
    """The filesystem broker's folders (development without Redis, see settings), made when a worker or
    a sender first reads the configuration rather than whenever the settings are imported."""
    options = source.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
