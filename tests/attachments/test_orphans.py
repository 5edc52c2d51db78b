"""Files no attachment names: written by an upload whose caller's transaction then rolled back (or by a
process killed in between). The periodic sweep deletes them once they are over an hour old, and never
touches a file a row names, its thumbnail included."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from attachments import services
from attachments.models import Attachment
from attachments.services import attachments_add
from tests.attachments.conftest import png, stored_files, text_file
from toolkit.tasks import run_periodic_scans

pytestmark = pytest.mark.django_db(transaction=True)


class CallerFailed(Exception):
    pass


@pytest.fixture(autouse=True)
def _sweep_due():
    cache.delete("attachments:orphan-sweep")
    yield
    cache.delete("attachments:orphan-sweep")


def _read(client, url) -> bytes:
    response = client.get(url)
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def _rolled_back_upload(ticket, engineer):
    """What a caller does when its own later step fails after the files were stored."""
    with pytest.raises(CallerFailed), transaction.atomic():
        attachments_add(ticket=ticket, files=[text_file("lost.log")], by=engineer)
        raise CallerFailed


def test_a_rolled_back_upload_leaves_a_file_that_the_sweep_deletes_after_an_hour(
    ticket, engineer, engineer_client, media
):
    (kept,) = attachments_add(ticket=ticket, files=[png()], by=engineer)
    # Its thumbnail, made at the first request, is named by the row too.
    _read(engineer_client, reverse("attachments:thumbnail", kwargs={"pk": kept.pk}))
    kept.refresh_from_db()
    assert kept.thumbnail
    _rolled_back_upload(ticket, engineer)
    assert Attachment.objects.count() == 1
    assert len(stored_files(media)) == 3  # the image, its thumbnail and the orphan

    # Within the hour the upload's transaction might still be open: left alone.
    assert services.orphan_sweep(now=timezone.now()) == 0
    assert len(stored_files(media)) == 3

    cache.delete("attachments:orphan-sweep")
    later = timezone.now() + timedelta(hours=2)
    assert run_periodic_scans(now=later)["attachments.chapter.orphan_sweep"] == 1
    remaining = {path.relative_to(media).as_posix() for path in stored_files(media)}
    assert remaining == {kept.file.name, kept.thumbnail}
    assert _read(engineer_client, kept.get_absolute_url())  # still opens


def test_the_sweep_runs_at_most_hourly(ticket, engineer, media):
    _rolled_back_upload(ticket, engineer)
    later = timezone.now() + timedelta(hours=2)
    assert services.orphan_sweep(now=timezone.now()) == 0  # this run was too early for the file
    assert services.orphan_sweep(now=later) == 0  # and the next within the hour does not look
    assert len(stored_files(media)) == 1
    cache.delete("attachments:orphan-sweep")
    assert services.orphan_sweep(now=later) == 1
    assert stored_files(media) == []


def test_nothing_to_sweep_in_an_empty_storage(media):
    assert services.orphan_sweep(now=timezone.now()) == 0


def test_the_sweep_can_be_turned_off(ticket, engineer, media, settings):
    settings.ATTACHMENTS_ORPHAN_SWEEP = False
    _rolled_back_upload(ticket, engineer)
    assert services.orphan_sweep(now=timezone.now() + timedelta(hours=2)) == 0
    assert len(stored_files(media)) == 1
