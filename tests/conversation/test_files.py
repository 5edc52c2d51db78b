"""Files with replies and notes (the attachments app): kept on the message, listed in the card, and a
reply's files go with its mail."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attachments.models import Attachment
from conversation import services
from conversation.choices import EmailStatus
from conversation.models import Message
from tests.attachments.conftest import png, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_note_with_a_screenshot_through_the_card(engineer_client, ticket):
    response = engineer_client.post(
        reverse("conversation:note", args=[ticket.number]),
        {"note-body": "截图见附件", "files": [png("login-error.png")]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    note = Message.objects.get()
    [attachment] = Attachment.objects.all()
    assert (attachment.ticket_id, attachment.object_id, attachment.original_name) == (
        ticket.pk,
        note.pk,
        "login-error.png",
    )
    assert "login-error.png" in response.content.decode()


def test_a_file_of_the_wrong_type_is_refused_and_nothing_saved(engineer_client, ticket):
    bad = SimpleUploadedFile(
        "tool.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/octet-stream"
    )
    response = engineer_client.post(
        reverse("conversation:reply", args=[ticket.number]),
        {"reply-body": "请运行这个工具", "files": [bad]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert not Message.objects.exists() and not Attachment.objects.exists()


def test_a_replys_files_go_with_its_mail(ticket, engineer, smtp):
    reply = services.reply_send(ticket=ticket, body="请看截图", by=engineer, files=[png("steps.png")])
    assert services.reply_email_send(reply.pk) == EmailStatus.SENT
    [mail] = smtp.messages
    [part] = list(mail.iter_attachments())
    assert part.get_filename() == "steps.png"
    assert part.get_content() == png_bytes()
