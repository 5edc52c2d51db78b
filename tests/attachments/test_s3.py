"""Attachments in an S3-compatible bucket (django-storages), against a real S3 endpoint on loopback:
moto's server, spoken to over HTTP by boto3 exactly as MinIO or AWS would be."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from attachments.services import attachment_delete, attachments_add
from tests.attachments.conftest import png, png_bytes, text_file

pytestmark = pytest.mark.django_db
BUCKET = "service-toolkit-files"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",  # noqa: S106
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "test-key",
                "secret_key": "test-secret",
                "location": "toolkit",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_files_go_to_the_bucket_and_come_back_through_the_view(
    bucket, ticket, engineer, engineer_client, media, django_capture_on_commit_callbacks
):
    image, log = attachments_add(ticket=ticket, files=[png(), text_file()], by=engineer)

    assert keys(bucket) == sorted(f"toolkit/{a.file.name}" for a in (image, log))
    assert not media.exists()  # nothing on the local disk
    stored = bucket.get_object(Bucket=BUCKET, Key=f"toolkit/{image.file.name}")["Body"].read()
    assert stored == png_bytes()

    response = engineer_client.get(image.get_absolute_url())
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["X-Content-Type-Options"] == "nosniff"
    thumb = engineer_client.get(reverse("attachments:thumbnail", kwargs={"pk": image.pk}))
    assert b"".join(thumb.streaming_content)[:4] == b"RIFF"
    assert len(keys(bucket)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(attachment=image, by=engineer, reason="发错了")
    assert keys(bucket) == [f"toolkit/{log.file.name}"]


def test_refused_upload_puts_nothing_in_the_bucket(bucket, ticket, engineer, settings):
    settings.ATTACHMENT_MAX_BYTES = 50
    with pytest.raises(ValidationError) as refused:
        attachments_add(ticket=ticket, files=[text_file(), png()], by=engineer)
    assert refused.value.code == "too_large"
    assert keys(bucket) == []


def test_the_bucket_setting_switches_the_storage():
    """ATTACHMENTS_S3_BUCKET in the environment makes the attachments storage S3 (and only it)."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "ATTACHMENTS_S3_BUCKET": "files",
        "ATTACHMENTS_S3_ENDPOINT_URL": "https://minio.example.com:9000",
    }
    code = (
        "import toolkit.settings as s; a = s.STORAGES['attachments']; "
        "print(a['BACKEND'], a['OPTIONS']['bucket_name'], a['OPTIONS']['endpoint_url'], "
        "s.STORAGES['default']['BACKEND'])"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    assert result.stdout.split() == [
        "storages.backends.s3.S3Storage",
        "files",
        "https://minio.example.com:9000",
        "django.core.files.storage.FileSystemStorage",
    ]


def test_the_orphan_sweep_works_on_the_bucket(bucket, ticket, engineer):
    from datetime import timedelta

    from django.core.cache import cache
    from django.db import transaction
    from django.utils import timezone

    from attachments.services import orphan_sweep

    (kept,) = attachments_add(ticket=ticket, files=[png()], by=engineer)
    with pytest.raises(RuntimeError), transaction.atomic():
        attachments_add(ticket=ticket, files=[text_file("lost.log")], by=engineer)
        raise RuntimeError("the caller's next step failed")
    assert len(keys(bucket)) == 2
    cache.delete("attachments:orphan-sweep")
    assert orphan_sweep(now=timezone.now() + timedelta(hours=2)) == 1
    assert keys(bucket) == [f"toolkit/{kept.file.name}"]
    cache.delete("attachments:orphan-sweep")
