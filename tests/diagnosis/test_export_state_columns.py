"""The export's state columns (issue 14 §3) and owner=me (§2): after the document's 15 columns — first and
in order — 阶段 / Stage, SLA 状态 / SLA state, SLA 截止 / SLA due; layout=document gives the plain 15;
owner=me means the signed-in user on the page and in the export, and the requester in an export job."""

import io
from datetime import datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse
from django.urls import resolve, reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from jobs.models import Job, JobState
from jobs.services import job_run
from tests.diagnosis.layout import EN_HEADERS, EN_STATE_HEADERS, ZH_HEADERS, ZH_STATE_HEADERS
from tests.factories import TicketFactory, UserFactory
from toolkit.choices import SlaState, Stage
from toolkit.models import ExportLog, Ticket

EXPORT_URL = reverse("diagnosis:export")
LIST_URL = reverse("diagnosis:list")
IMPORT_URL = reverse("diagnosis:import")


def local(*args):
    return timezone.make_aware(datetime(*args))


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def exported(client, query=None, language=None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(EXPORT_URL, query or {})
    assert response.status_code == 200, response.content[:500]
    assert isinstance(response, FileResponse)
    return sheet_of(b"".join(response.streaming_content))


def headers(sheet):
    return [cell.value for cell in sheet[2]]


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]


@pytest.fixture
def state_ticket(manager):
    return TicketFactory(
        number="TS-20231001-0001",
        owner=manager,
        stage=Stage.DIAGNOSIS,
        sla_state=SlaState.AT_RISK,
        # 06:30:00Z is 14:30 in Shanghai; the export keeps the minute.
        sla_due_at=local(2023, 10, 1, 14, 30),
    )


@pytest.mark.parametrize(
    ("language", "expected_headers", "expected_state"),
    [
        ("zh-hans", ZH_HEADERS + ZH_STATE_HEADERS, ["诊断", "即将超时"]),
        ("en", EN_HEADERS + EN_STATE_HEADERS, ["Diagnosis", "At risk"]),
    ],
)
def test_state_columns_come_after_the_documents_15(
    manager_client, state_ticket, language, expected_headers, expected_state
):
    sheet = exported(manager_client, language=language)
    assert headers(sheet) == expected_headers
    assert headers(sheet)[:15] == (ZH_HEADERS if language == "zh-hans" else EN_HEADERS)
    [row] = rows(sheet)
    assert row[1] == "TS-20231001-0001"
    assert row[15:17] == expected_state
    assert row[17] == datetime(2023, 10, 1, 14, 30)  # local wall-clock time
    assert sheet["R3"].is_date and sheet["R3"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet.auto_filter.ref == "A2:R3"


def test_a_ticket_without_sla_leaves_the_sla_cells_empty(manager_client, manager):
    TicketFactory(owner=manager, stage=Stage.CLOSED, sla_state="", sla_due_at=None)
    [row] = rows(exported(manager_client, language="en"))
    assert row[15:] == ["Closed", None, None]


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", ZH_HEADERS), ("en", EN_HEADERS)], ids=["zh", "en"]
)
def test_document_layout_gives_exactly_the_15(manager_client, state_ticket, language, expected):
    sheet = exported(manager_client, {"layout": "document"}, language=language)
    assert headers(sheet) == expected
    [row] = rows(sheet)
    assert len(row) == 15 and row[1] == "TS-20231001-0001"
    assert sheet.auto_filter.ref == "A2:O3"
    assert ExportLog.objects.get().query_string == "layout=document"


def test_an_unknown_layout_is_refused_clearly(manager_client, state_ticket):
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = manager_client.get(EXPORT_URL, {"layout": "everything"})
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert "layout:" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_contact_details_stay_masked_with_the_new_columns(engineer_client):
    other = UserFactory(username="other", role="engineer")
    TicketFactory(owner=other, recorded_by=other, contact_details="13856785678", sla_state=SlaState.OK)
    [row] = rows(exported(engineer_client, language="en"))
    assert row[4] == "138****5678"
    assert row[16] == "On track"


# ---------------------------------------------------------------- owner=me


@pytest.fixture
def mine_and_theirs(engineer):
    other = UserFactory(username="other", role="engineer")
    mine = TicketFactory(number="TS-20231001-0001", owner=engineer)
    theirs = TicketFactory(number="TS-20231001-0002", owner=other)
    return mine, theirs


def test_owner_me_on_the_table_page(engineer_client, mine_and_theirs):
    response = engineer_client.get(LIST_URL, {"owner": "me"})
    assert response.status_code == 200
    assert [t.number for t in response.context["page"].object_list] == ["TS-20231001-0001"]
    # The select offers "Me" first after "All", and keeps it chosen.
    page = response.content.decode()
    assert '<option value="me" selected>' in page
    assert page.index('value="me"') < page.index(f'value="{mine_and_theirs[1].owner_id}"')


def test_owner_me_is_whoever_is_signed_in(client, manager, mine_and_theirs):
    client.force_login(mine_and_theirs[1].owner)
    response = client.get(LIST_URL, {"owner": "me"})
    assert [t.number for t in response.context["page"].object_list] == ["TS-20231001-0002"]
    client.force_login(manager)
    assert list(client.get(LIST_URL, {"owner": "me"}).context["page"].object_list) == []


def test_owner_me_in_the_export(engineer_client, engineer, mine_and_theirs):
    sheet = exported(engineer_client, {"owner": "me"}, language="en")
    assert [row[1] for row in rows(sheet)] == ["TS-20231001-0001"]
    log = ExportLog.objects.get()
    assert (log.user, log.query_string, log.row_count) == (engineer, "owner=me", 1)


def test_owner_by_id_still_works(manager_client, mine_and_theirs):
    mine, _theirs = mine_and_theirs
    response = manager_client.get(LIST_URL, {"owner": mine.owner_id})
    assert [t.number for t in response.context["page"].object_list] == [mine.number]


@pytest.mark.parametrize("value", ["abc", "999999", "me2", "-1", "99999999999999999999"])
def test_bad_owner_values_give_a_form_error_never_a_500(manager_client, mine_and_theirs, value):
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = manager_client.get(LIST_URL, {"owner": value})
    assert page.status_code == 200
    assert "owner" in page.context["filter"].errors
    export = manager_client.get(EXPORT_URL, {"owner": value})
    assert export.status_code == 400
    assert "owner:" in export.content.decode()


def test_owner_me_without_a_user_is_an_error_not_everyone(mine_and_theirs):
    from diagnosis.selectors import ticket_list

    filterset = ticket_list(data={"owner": "me"})
    with translation.override("en"):
        assert not filterset.is_valid()
        assert filterset.errors["owner"] == ["“me” is only understood for a signed-in user."]


# ---------------------------------------------------------------- the export job path


@pytest.fixture
def _job_threshold(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_INLINE_MAX_ROWS = 1


def _run_job(client, django_capture_on_commit_callbacks, query):
    with django_capture_on_commit_callbacks():
        response = client.get(EXPORT_URL, query)
    assert response.status_code == 303
    job = Job.objects.get()
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.report
    download = client.get(reverse("jobs:export_download", args=[job.pk]))
    return sheet_of(b"".join(download.streaming_content))


@pytest.mark.usefixtures("_job_threshold")
def test_export_job_reads_owner_me_as_the_requester(
    engineer_client, engineer, django_capture_on_commit_callbacks
):
    for index in range(3):
        TicketFactory(owner=engineer, number=f"TS-20231001-{index + 1:04d}")
    TicketFactory(owner=UserFactory(username="other", role="engineer"), number="TS-20231001-0009")
    sheet = _run_job(engineer_client, django_capture_on_commit_callbacks, {"owner": "me", "sort": "number"})
    assert [row[1] for row in rows(sheet)] == ["TS-20231001-0001", "TS-20231001-0002", "TS-20231001-0003"]
    assert len(headers(sheet)) == 18
    assert ExportLog.objects.get().query_string == "owner=me&sort=number"


@pytest.mark.usefixtures("_job_threshold")
def test_export_job_keeps_the_document_layout(manager_client, manager, django_capture_on_commit_callbacks):
    TicketFactory.create_batch(2, owner=manager)
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sheet = _run_job(manager_client, django_capture_on_commit_callbacks, {"layout": "document"})
    assert headers(sheet) == EN_HEADERS
    assert len(rows(sheet)) == 2


# ---------------------------------------------------------------- the import reads what the export writes


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_export_with_the_state_columns_imports_back(manager_client, manager, settings, tmp_path, language):
    """Stage read back (closed stays closed history), the SLA cells recognised and left to the engine."""
    settings.MEDIA_ROOT = tmp_path / "media"
    TicketFactory(
        number="TS-20231001-0001",
        owner=manager,
        stage=Stage.CLOSED,
        sla_state=SlaState.BREACHED,
        sla_due_at=local(2023, 10, 1, 18, 0),
        occurred_at=local(2023, 10, 1, 9, 0),
        recorded_at=local(2023, 10, 1, 9, 5),
    )
    TicketFactory(number="TS-20231001-0002", owner=manager, stage=Stage.DIAGNOSIS)
    content = b"".join(exported_response(manager_client, language).streaming_content)
    assert headers(sheet_of(content))[15:] == (
        ZH_STATE_HEADERS if language == "zh-hans" else EN_STATE_HEADERS
    )
    Ticket.objects.all().delete()

    response = manager_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("t.xlsx", content), "rows_are": "auto"}
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    job = Job.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.report
    assert dict(Ticket.objects.values_list("number", "stage")) == {
        "TS-20231001-0001": Stage.CLOSED,
        "TS-20231001-0002": Stage.DIAGNOSIS,
    }


def exported_response(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    return response
