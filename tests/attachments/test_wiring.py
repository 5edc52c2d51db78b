"""Files on clarifications, progress-log entries and knowledge articles, through those apps' own forms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attachments.models import Attachment
from attachments.selectors import attachments_for
from attachments.services import attachments_add
from tests.attachments.conftest import png, stored_files, text_file
from tests.factories import TicketFactory
from tests.tracking.factories import ProgressEntryFactory, TaskFactory
from toolkit.models import Clarification
from tracking.models import ProgressEntry

pytestmark = pytest.mark.django_db
PROGRAM = b"MZ\x90\x00" + b"\x00" * 300


# Clarifications -----------------------------------------------------------------------------------


def test_ticket_page_clarification_form_takes_files(engineer_client, ticket):
    html = engineer_client.get(ticket.get_absolute_url()).content.decode()
    form = html[html.index(reverse("diagnosis:clarify", kwargs={"number": ticket.number})) - 200 :]
    assert 'enctype="multipart/form-data"' in form[:400]
    assert 'name="files"' in html and "data-attachments" in html
    assert "attachments/attachments.js" in html


def test_clarification_with_screenshots(engineer_client, ticket, media):
    url = reverse("diagnosis:clarify", kwargs={"number": ticket.number})
    response = engineer_client.post(url, {"text": "客户补充了截图", "files": [png(), text_file()]})
    assert response.status_code == 302
    clarification = Clarification.objects.get(ticket=ticket)
    files = Attachment.objects.filter(ticket=ticket)
    assert [a.target for a in files] == [clarification, clarification]
    page = engineer_client.get(ticket.get_absolute_url()).content.decode()
    assert "screenshot.png" in page and "app.log" in page


def test_refused_file_adds_no_clarification(engineer_client, ticket, media):
    url = reverse("diagnosis:clarify", kwargs={"number": ticket.number})
    response = engineer_client.post(
        url, {"text": "补充", "files": [png(), SimpleUploadedFile("x.png", PROGRAM)]}, follow=True
    )
    assert "不能作为附件" in response.content.decode()
    assert not Clarification.objects.exists()
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_clarification_without_files_still_works(engineer_client, ticket):
    url = reverse("diagnosis:clarify", kwargs={"number": ticket.number})
    engineer_client.post(url, {"text": "只有文字"})
    assert Clarification.objects.get().text == "只有文字"
    assert not Attachment.objects.exists()


# Progress-log entries -----------------------------------------------------------------------------


def _progress_url(ticket, task):
    return reverse("tracking:progress_add", args=[ticket.number, task.pk])


def _entry_data(**files):
    return {
        "date": timezone.localdate().isoformat(),
        "progress": "40",
        "hours": "1",
        "note": "迁移中",
        **files,
    }


def test_progress_entry_with_files_under_htmx(engineer_client, engineer, media):
    ticket = TicketFactory(owner=engineer, stage="implementation")
    task = TaskFactory(ticket=ticket, planned_start=timezone.localdate(), planned_end=timezone.localdate())
    response = engineer_client.post(
        _progress_url(ticket, task), _entry_data(files=[png("进度截图.png")]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    entry = ProgressEntry.objects.get()
    [attachment] = Attachment.objects.all()
    assert attachment.target == entry and attachment.ticket == ticket
    html = response.content.decode()
    assert "进度截图.png" in html
    assert 'hx-encoding="multipart/form-data"' in html


def test_refused_file_logs_no_progress(engineer_client, engineer, media):
    ticket = TicketFactory(owner=engineer, stage="implementation")
    task = TaskFactory(ticket=ticket, planned_start=timezone.localdate(), planned_end=timezone.localdate())
    response = engineer_client.post(
        _progress_url(ticket, task),
        _entry_data(files=[SimpleUploadedFile("a.log", PROGRAM)]),
        HTTP_HX_REQUEST="true",
    )
    assert "不能作为附件" in response.content.decode()
    assert not ProgressEntry.objects.exists() and stored_files(media) == []
    task.refresh_from_db()
    assert task.progress == 0


def test_plan_page_reads_every_entrys_files_in_one_query(engineer_client, engineer):
    ticket = TicketFactory(owner=engineer, stage="implementation")
    tasks = [TaskFactory(ticket=ticket) for _ in range(3)]

    def log_with_file(task):
        entry = ProgressEntryFactory(task=task, by=engineer)
        attachments_add(ticket=ticket, files=[png()], by=engineer, target=entry)

    log_with_file(tasks[0])
    url = reverse("tracking:plan", args=[ticket.number])
    engineer_client.get(url)
    with CaptureQueriesContext(connection) as one:
        engineer_client.get(url)
    for task in tasks:
        for _ in range(3):
            log_with_file(task)
    with CaptureQueriesContext(connection) as ten:
        response = engineer_client.get(url)
    assert response.content.decode().count('class="attach-thumb"') == 10
    assert len(ten) == len(one)


# Knowledge articles --------------------------------------------------------------------------------


@pytest.fixture
def article(engineer):
    from tests.knowledge.factories import make_article

    return make_article(engineer, title="验证码接口超时")


def test_article_files_belong_to_no_ticket_and_follow_the_article(client, engineer_client, engineer, article):
    url = reverse("attachments:article_upload", kwargs={"pk": article.pk})
    response = engineer_client.post(url, {"files": [png("架构图.png")]})
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    [attachment] = Attachment.objects.all()
    assert attachment.ticket is None and attachment.target == article
    page = engineer_client.get(article.get_absolute_url()).content.decode()
    assert "架构图.png" in page

    # A draft is its editors' only: someone who may only read published articles gets no file.
    from tests.factories import UserFactory

    reader = UserFactory()
    from django.contrib.auth.models import Permission

    reader.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(reader)
    assert client.get(attachment.get_absolute_url()).status_code == 403


def test_attachments_for_mixes_kinds(engineer, ticket, article):
    entry = ProgressEntryFactory(task=TaskFactory(ticket=ticket), by=engineer)
    attachments_add(ticket=ticket, files=[png()], by=engineer, target=entry)
    attachments_add(ticket=None, files=[text_file()], by=engineer, target=article)
    found = attachments_for([entry, article])
    assert sorted(len(files) for files in found.values()) == [1, 1]
