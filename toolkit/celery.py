"""Celery wiring: every CELERY_* Django setting configures the app; tasks are autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolkit.settings")

app = Celery("toolkit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
