import hashlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment
from attachments.selectors import attachments_for, target_key, ticket_attachments
from attachments.services import attachment_delete, attachments_add, clean_file_name
from tests.attachments.conftest import png, png_bytes, stored_files, text_file
from tests.factories import TicketFactory, UserFactory
from toolkit.services import ticket_add_clarification

pytestmark = pytest.mark.django_db


def test_files_are_stored_under_random_names_with_type_from_content(ticket, engineer, media):
    # A PNG whose name says PDF: the type comes from the bytes.
    added = attachments_add(ticket=ticket, files=[png("报告.pdf"), text_file()], by=engineer)

    assert [a.original_name for a in added] == ["报告.pdf", "app.log"]
    assert [a.content_type_detected for a in added] == ["image/png", "text/plain"]
    image = added[0]
    assert image.size == len(png_bytes())
    assert image.sha256 == hashlib.sha256(png_bytes()).hexdigest()
    assert image.file.name.startswith("attachments/") and image.file.name.endswith(".png")
    assert "报告" not in image.file.name
    assert len(stored_files(media)) == 2
    assert image.uploaded_by == engineer and not image.uploaded_by_customer
    assert image.history.count() == 1


def test_wrong_type_is_refused_and_nothing_is_written(ticket, engineer, media):
    page = SimpleUploadedFile(
        "photo.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
    )

    with pytest.raises(ValidationError) as refused:
        attachments_add(ticket=ticket, files=[png(), page], by=engineer)

    assert "text/html" in refused.value.messages[0]
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00" + b"\x00" * 200,  # a Windows program
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"#!/bin/sh\nrm -rf /\n",
    ],
)
def test_programs_svg_and_scripts_are_refused(ticket, engineer, media, content):
    with pytest.raises(ValidationError):
        attachments_add(ticket=ticket, files=[SimpleUploadedFile("a.txt", content)], by=engineer)
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_oversize_file_is_refused_and_nothing_is_written(ticket, engineer, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.log", b"x" * 1001)

    with pytest.raises(ValidationError) as refused:
        attachments_add(ticket=ticket, files=[text_file(), big], by=engineer)

    assert refused.value.code == "too_large"
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_empty_file_is_refused(ticket, engineer, media):
    with pytest.raises(ValidationError):
        attachments_add(ticket=ticket, files=[SimpleUploadedFile("empty.txt", b"")], by=engineer)
    assert stored_files(media) == []


def test_per_ticket_size_limit_counts_what_the_ticket_holds(ticket, engineer, media, settings):
    settings.ATTACHMENTS_MAX_BYTES_PER_TICKET = len(png_bytes()) * 2
    attachments_add(ticket=ticket, files=[png(), png()], by=engineer)

    with pytest.raises(ValidationError) as refused:
        attachments_add(ticket=ticket, files=[png()], by=engineer)

    assert refused.value.code == "ticket_full"
    assert Attachment.objects.count() == 2 and len(stored_files(media)) == 2
    # Another ticket has its own allowance.
    attachments_add(ticket=TicketFactory(), files=[png()], by=engineer)


def test_per_ticket_count_limit_and_deleted_files_no_longer_count(ticket, engineer, media, settings):
    settings.ATTACHMENTS_MAX_PER_TICKET = 2
    first, _second = attachments_add(ticket=ticket, files=[png(), text_file()], by=engineer)
    with pytest.raises(ValidationError) as refused:
        attachments_add(ticket=ticket, files=[png()], by=engineer)
    assert refused.value.code == "too_many"

    attachment_delete(attachment=first, by=engineer, reason="wrong customer")
    attachments_add(ticket=ticket, files=[png()], by=engineer)
    assert Attachment.objects.live().filter(ticket=ticket).count() == 2


def test_someone_without_ticket_rights_may_not_attach(ticket, no_role_user, media):
    with pytest.raises(PermissionDenied):
        attachments_add(ticket=ticket, files=[png()], by=no_role_user)
    assert stored_files(media) == []


def test_the_customer_attaches_only_through_a_token_page(ticket, media):
    with pytest.raises(PermissionDenied):
        attachments_add(ticket=ticket, files=[png()], by=None)
    [added] = attachments_add(ticket=ticket, files=[png()], by=None, from_customer=True)
    assert added.uploaded_by is None and added.uploaded_by_customer


def test_a_target_must_be_on_the_ticket(ticket, engineer, media):
    clarification = ticket_add_clarification(ticket=ticket, text="补充截图", by=engineer)
    with pytest.raises(ValidationError):
        attachments_add(ticket=TicketFactory(), files=[png()], by=engineer, target=clarification)
    [added] = attachments_add(ticket=ticket, files=[png()], by=engineer, target=clarification)
    assert added.target == clarification


def test_delete_removes_the_file_and_keeps_the_row_with_who_when_why(
    ticket, engineer, media, django_capture_on_commit_callbacks
):
    [added] = attachments_add(ticket=ticket, files=[png()], by=engineer)
    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(attachment=added, by=engineer, reason="发错了")

    added.refresh_from_db()
    assert added.is_deleted and added.deleted_by == engineer and added.delete_reason == "发错了"
    assert added.file.name == ""
    assert stored_files(media) == []
    assert [h.history_change_reason for h in added.history.order_by("history_id")] == ["uploaded", "发错了"]


def test_delete_needs_a_reason_and_the_right_person(ticket, engineer, manager, media):
    [added] = attachments_add(ticket=ticket, files=[png()], by=engineer)
    with pytest.raises(ValidationError):
        attachment_delete(attachment=added, by=engineer, reason="  ")
    other = UserFactory(role="engineer")
    with pytest.raises(PermissionDenied):
        attachment_delete(attachment=added, by=other, reason="not mine")
    attachment_delete(attachment=added, by=manager, reason="duplicate")
    with pytest.raises(ValidationError):
        attachment_delete(attachment=added, by=manager, reason="again")


def test_clean_file_name():
    assert clean_file_name("C:\\Users\\王\\桌面\\截图 1.png") == "截图 1.png"
    assert clean_file_name("../../etc/passwd") == "passwd"
    assert clean_file_name("a\x00b\n.txt") == "ab.txt"
    assert clean_file_name("") == "attachment"
    assert len(clean_file_name("x" * 300 + ".log")) == 255


def test_attachments_for_many_targets_is_one_query(ticket, engineer, media, django_assert_num_queries):
    clarifications = [
        ticket_add_clarification(ticket=ticket, text=f"补充 {i}", by=engineer) for i in range(5)
    ]
    for clarification in clarifications[:3]:
        attachments_add(ticket=ticket, files=[png(), text_file()], by=engineer, target=clarification)
    attachments_add(ticket=ticket, files=[png()], by=engineer)

    targets = [*clarifications, ticket]
    ContentType.objects.clear_cache()  # even with a cold content-type cache
    with django_assert_num_queries(1):
        found = attachments_for(targets)
        names = [(a.original_name, a.uploaded_by.display_name) for files in found.values() for a in files]
    assert len(names) == 6
    assert [a.original_name for a in found[target_key(clarifications[0])]] == ["screenshot.png", "app.log"]
    assert [a.original_name for a in found.of(clarifications[0])] == ["screenshot.png", "app.log"]
    assert target_key(clarifications[4]) not in found and found.of(clarifications[4]) == []
    with django_assert_num_queries(0):
        assert attachments_for([]) == {}
    assert ticket_attachments(ticket).count() == 7
