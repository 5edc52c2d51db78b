"""Excel import of the diagnosis table: the export's layout in, every bad row reported, all or nothing."""

import io
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from diagnosis.imports import import_diagnosis_table
from jobs.models import Job, JobState
from jobs.services import job_run
from tests.diagnosis.layout import EN_HEADERS, ZH_HEADERS
from tests.factories import TicketFactory, UserFactory
from toolkit.choices import BusinessUrgency, ImpactScope, Priority, ProblemType, Source
from toolkit.models import Contact, Customer, Ticket

IMPORT_URL = reverse("diagnosis:import")
EXPORT_URL = reverse("diagnosis:export")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The document's two rows, written as a person would type them (its own squashed dates included).
DOCUMENT_ROWS = [
    [
        1,
        None,
        "TSA公司",
        "*女士",
        "1385678",
        "工单系统",
        "2023-10-0114:30",
        "无法登录系统,提示“验证码错误”,影响3名用户提交订单",
        "“验证码错误,请重试”",
        "功能类",
        "P1",
        "验证码接口异常",
        "技术工程师*",
        None,
        "2023-10-0114:35",
    ],
    [
        2,
        None,
        "TSB工厂",
        "*先生",
        "139",
        "电话",
        "2023-10-0116:00",
        "设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度",
        "无",
        "功能类",
        "P0",
        "网络带宽不足",
        "网络工程师*",
        None,
        "2023-10-0116:05",
    ],
]


def local(*args):
    return timezone.make_aware(datetime(*args))


def xlsx_bytes(rows, *, headers=ZH_HEADERS, title="技术服务问题快速诊断表"):
    """A workbook in the export's layout: title row, header row, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    if title is not None:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content, name="tickets.xlsx", content_type=XLSX):
    return SimpleUploadedFile(name, content, content_type=content_type)


# Column keys in the order of the 15 headers.
KEYS = [
    "no",
    "number",
    "customer",
    "contact",
    "contact_details",
    "source",
    "occurred_at",
    "description",
    "error_message",
    "problem_type",
    "priority",
    "judgement",
    "owner",
    "recorded_by",
    "recorded_at",
]
GOOD_ROW = {
    "no": None,
    "number": None,
    "customer": "TSA公司",
    "contact": "*女士",
    "contact_details": "1385678",
    "source": "Ticket system",
    "occurred_at": "2023-10-01 14:30",
    "description": "无法登录系统",
    "error_message": "",
    "problem_type": "Functional",
    "priority": "P1",
    "judgement": "验证码接口异常",
    "owner": "技术工程师*",
    "recorded_by": None,
    "recorded_at": "2023-10-01 14:35",
}


def good_row(**changes):
    """One valid row (English labels); keyword arguments replace cells by column key."""
    assert set(changes) <= set(KEYS)
    row = {**GOOD_ROW, **changes}
    return [row[key] for key in KEYS]


def post_file(client, content, *, name="tickets.xlsx", language="en", rows_are="auto"):
    """Upload as the import form does, with the page in `language` (the language switch's cookie).

    A file refused at once gives the import page back (400). An accepted one answers 303 to the job's
    page: the job is then run here as the worker runs it (the test's transaction never commits, so
    nothing reaches the broker), and the job's page is returned.
    """
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(IMPORT_URL, {"file": upload(content, name), "rows_are": rows_are})
    if response.status_code != 303:
        return response
    job = Job.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    assert job.state == JobState.QUEUED
    job_run(job_id=job.pk)
    return client.get(response["Location"])


def job_of(response):
    return response.context["job"]


def assert_imported(response):
    assert response.status_code == 200, response.content.decode()[:2000]
    job = job_of(response)
    assert job.state == JobState.DONE, job.report
    return job


def errors_of(response):
    """(row, message) of every problem: the form's for a file refused at upload, else the job's report."""
    if response.status_code == 400:
        return [(None, message) for message in response.context["form"].errors["file"]]
    assert response.status_code == 200, response.content.decode()[:2000]
    job = job_of(response)
    assert job.state == JobState.FAILED, job.report
    return [(error["row"], error["message"]) for error in job.report["errors"]]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owners(db):
    technician = UserFactory(
        username="tech", first_name="*", last_name="", job_title="技术工程师", role="engineer"
    )
    network = UserFactory(
        username="net", first_name="*", last_name="", job_title="网络工程师", role="engineer"
    )
    return technician, network


@pytest.fixture
def nothing_saved(db):
    """Assert after the test that the import left the database as it found it."""
    before = (Ticket.objects.count(), Customer.objects.count(), Contact.objects.count())
    yield
    assert (Ticket.objects.count(), Customer.objects.count(), Contact.objects.count()) == before


# --- good files -----------------------------------------------------------------------------------


def test_document_rows_with_chinese_headers_are_imported(manager_client, manager, owners):
    """Needs the zh-hans translations (headers, 工单系统, 电话, 功能类)."""
    technician, network = owners
    response = post_file(manager_client, xlsx_bytes(DOCUMENT_ROWS), language="zh-hans")
    assert_imported(response)

    first, second = Ticket.objects.order_by("recorded_at")
    assert first.number == "TS-20231001-0001"
    assert first.customer.name == "TSA公司"
    assert first.contact.name == "*女士"
    assert first.contact.customer == first.customer
    assert first.contact_details == "1385678"
    assert first.source == Source.TICKET_SYSTEM
    assert first.occurred_at == local(2023, 10, 1, 14, 30)
    assert first.description == "无法登录系统,提示“验证码错误”,影响3名用户提交订单"
    assert first.error_message == "“验证码错误,请重试”"
    assert first.problem_type == ProblemType.FUNCTIONAL
    assert first.priority == Priority.P1
    assert first.preliminary_judgement == "验证码接口异常"
    assert not first.judgement_unverified
    assert first.owner == technician
    assert first.recorded_by == manager  # blank 记录人: the importing user
    assert first.recorded_at == local(2023, 10, 1, 14, 35)
    assert first.impact_scope == ImpactScope.ONE_USER
    assert first.business_urgency == BusinessUrgency.MEDIUM
    assert first.suggested_priority == ""

    assert second.number == "TS-20231001-0002"
    assert (second.customer.name, second.contact.name, second.contact_details) == ("TSB工厂", "*先生", "139")
    assert second.source == Source.PHONE
    assert second.occurred_at == local(2023, 10, 1, 16, 0)
    assert second.error_message == "无"
    assert second.priority == Priority.P0
    assert second.owner == network
    assert second.recorded_at == local(2023, 10, 1, 16, 5)


def test_english_headers_labels_and_codes_are_accepted(manager_client, manager, owners):
    technician, network = owners
    rows = [
        good_row(),
        good_row(
            customer="TSB工厂",
            contact="*先生",
            source="phone",
            problem_type="performance",
            priority="P0 Critical",
            owner="net",
            occurred_at="2023/10/01 16:00",
            recorded_by="tech",
            recorded_at="2023/10/01 16:05",
        ),
    ]
    response = post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS, title="Diagnosis table"))
    assert_imported(response)
    first, second = Ticket.objects.order_by("recorded_at")
    assert (first.source, first.problem_type, first.priority) == (
        Source.TICKET_SYSTEM,
        ProblemType.FUNCTIONAL,
        "P1",
    )
    assert (first.owner, first.recorded_by) == (technician, manager)
    assert first.occurred_at == local(2023, 10, 1, 14, 30)
    assert (second.source, second.problem_type, second.priority) == (
        Source.PHONE,
        ProblemType.PERFORMANCE,
        "P0",
    )
    assert (second.owner, second.recorded_by) == (network, technician)
    assert second.occurred_at == local(2023, 10, 1, 16, 0)


def test_chinese_labels_under_english_headers(manager_client, owners):
    """Needs the zh-hans translations: labels are matched in every language whatever the page language."""
    row = good_row(source="现场拜访", problem_type="环境类", priority="P2 中")
    response = post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS))
    assert_imported(response)
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.problem_type, ticket.priority) == (
        Source.ON_SITE,
        ProblemType.ENVIRONMENT,
        "P2",
    )


def test_real_excel_datetime_cells_are_read_in_local_time(manager_client, owners):
    row = good_row(occurred_at=datetime(2023, 10, 1, 14, 30, 59), recorded_at=datetime(2023, 10, 1, 14, 35))
    assert_imported(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS)))
    ticket = Ticket.objects.get()
    assert ticket.occurred_at == local(2023, 10, 1, 14, 30)  # cut to the minute
    assert ticket.recorded_at == local(2023, 10, 1, 14, 35)


def test_file_without_title_row_is_accepted(manager_client, owners):
    response = post_file(manager_client, xlsx_bytes([good_row()], headers=EN_HEADERS, title=None))
    assert_imported(response)
    assert Ticket.objects.count() == 1


def test_file_without_title_row_counts_rows_from_the_header(manager_client, owners, nothing_saved):
    rows = [good_row(), good_row(priority="urgent")]
    assert errors_of(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS, title=None))) == [
        (3, "Priority: “urgent” is not a priority (P0, P1, P2 or P3).")
    ]


def test_blank_rows_are_skipped(manager_client, owners):
    rows = [good_row(), [None] * 15, [3, None, "", "  "] + [None] * 11, good_row(customer="TSB工厂")]
    response = post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    assert_imported(response)
    assert Ticket.objects.count() == 2


def test_given_ticket_number_is_kept_and_not_handed_out_again(manager_client, manager, owners):
    row = good_row(number="TS-20231001-0007")
    assert_imported(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS)))
    assert Ticket.objects.get().number == "TS-20231001-0007"
    # A later ticket of the same day continues after the imported number.
    assert_imported(post_file(manager_client, xlsx_bytes([good_row()], headers=EN_HEADERS)))
    assert Ticket.objects.order_by("pk").last().number == "TS-20231001-0008"


def test_generated_number_does_not_collide_with_a_number_in_the_same_file(manager_client, owners):
    rows = [good_row(), good_row(number="TS-20231001-0001")]
    response = post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    assert_imported(response)
    assert sorted(Ticket.objects.values_list("number", flat=True)) == ["TS-20231001-0001", "TS-20231001-0002"]


def test_existing_customer_and_contact_are_reused(manager_client, owners):
    rows = [good_row(), good_row(description="第二个问题")]
    assert_imported(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS)))
    assert_imported(post_file(manager_client, xlsx_bytes([good_row()], headers=EN_HEADERS)))
    assert Customer.objects.filter(name="TSA公司").count() == 1
    assert Contact.objects.filter(name="*女士").count() == 1
    assert Ticket.objects.count() == 3


def test_later_row_fills_in_missing_contact_details(manager_client, owners):
    rows = [good_row(contact_details=""), good_row(contact_details="13856785678")]
    assert_imported(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS)))
    assert Contact.objects.get(name="*女士").details == "13856785678"


def test_to_be_verified_marker_sets_the_flag(manager_client, owners):
    rows = [
        good_row(judgement="疑似数据库索引问题 (to be verified)"),
        good_row(judgement="客户端版本过低"),
    ]
    assert_imported(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS)))
    flagged, plain = Ticket.objects.order_by("pk")
    assert (flagged.preliminary_judgement, flagged.judgement_unverified) == ("疑似数据库索引问题", True)
    assert (plain.preliminary_judgement, plain.judgement_unverified) == ("客户端版本过低", False)


def test_chinese_to_be_verified_marker_sets_the_flag(manager_client, owners):
    """Needs the zh-hans translation of “(to be verified)” (待验证)."""
    row = good_row(judgement="验证码接口异常(待验证)")
    assert_imported(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS)))
    ticket = Ticket.objects.get()
    assert (ticket.preliminary_judgement, ticket.judgement_unverified) == ("验证码接口异常", True)


def test_owner_found_by_user_name_or_full_name(manager_client, owners):
    technician, network = owners
    UserFactory(username="zhao", first_name="赵", last_name="工", job_title="数据库工程师", role="engineer")
    rows = [good_row(owner="net"), good_row(owner="赵 工"), good_row(owner="数据库工程师赵 工")]
    assert_imported(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS)))
    assert [t.owner.username for t in Ticket.objects.order_by("pk")] == ["net", "zhao", "zhao"]


def test_numeric_contact_details_cell_is_kept_as_digits(manager_client, owners):
    row = good_row(contact_details=13856785678)
    assert_imported(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS)))
    assert Ticket.objects.get().contact_details == "13856785678"


def test_export_then_import_round_trip(manager_client, owners):
    """What the export writes, the import reads back: same numbers, same fields."""
    technician, network = owners
    assert_imported(post_file(manager_client, xlsx_bytes(DOCUMENT_ROWS), language="zh-hans"))
    TicketFactory(
        number="TS-20231002-0001",
        description="=1+1",
        error_message="@SUM(A1)",
        contact_details="+123",
        preliminary_judgement="疑似配置错误",
        judgement_unverified=True,
        occurred_at=local(2023, 10, 2, 8, 45),
        recorded_at=local(2023, 10, 2, 9, 0),
        owner=network,
        recorded_by=technician,
    )
    fields = [
        "number",
        "customer__name",
        "contact__name",
        "contact_details",
        "source",
        "occurred_at",
        "description",
        "error_message",
        "problem_type",
        "priority",
        "preliminary_judgement",
        "judgement_unverified",
        "owner",
        "recorded_by",
        "recorded_at",
    ]
    before = sorted(Ticket.objects.values_list(*fields))

    export = manager_client.get(EXPORT_URL)
    content = b"".join(export.streaming_content)
    Ticket.objects.all().delete()

    response = post_file(manager_client, content, language="zh-hans")
    assert_imported(response)
    assert sorted(Ticket.objects.values_list(*fields)) == before


def test_many_rows_from_an_upload_spooled_to_disk(manager_client, owners, settings):
    """Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE reach the import as a temporary file, not memory."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000
    rows = [good_row(description=f"第{index}个问题", customer=f"客户{index % 50}") for index in range(1500)]
    content = xlsx_bytes(rows, headers=EN_HEADERS)
    assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    response = post_file(manager_client, content)
    assert_imported(response)
    assert Ticket.objects.count() == 1500
    assert Customer.objects.count() == 50


# --- bad files: nothing saved, every problem reported --------------------------------------------


def test_bad_rows_are_all_reported_and_nothing_is_saved(manager_client, owners, nothing_saved):
    rows = [
        good_row(customer="新客户甲"),  # row 3
        good_row(customer="新客户乙", occurred_at="2099-01-01 10:00"),  # row 4
        good_row(customer="新客户丙"),  # row 5
        good_row(customer="新客户丁", owner="nobody"),  # row 6
        good_row(customer="新客户戊", priority="P7", description=None),  # row 7
        good_row(customer="新客户己"),  # row 8
    ]
    errors = errors_of(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS)))
    assert errors == [
        (4, "Occurred at: “2099-01-01 10:00” is in the future."),
        (6, "Owner: there is no active user “nobody”."),
        (7, "Description (symptom + impact) is required."),
        (7, "Priority: “P7” is not a priority (P0, P1, P2 or P3)."),
    ]


def test_errors_are_shown_on_the_page_with_row_numbers(manager_client, owners, nothing_saved):
    rows = [good_row(), good_row(problem_type="hardware")]
    response = post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    page = response.content.decode()
    assert job_of(response).state == JobState.FAILED
    assert 'id="import-errors"' in page
    assert (
        "Row 4: Type: “hardware” is not one of: Functional, Performance, Compatibility, Environment." in page
    )


def test_errors_in_chinese(manager_client, owners, nothing_saved):
    """Needs the zh-hans translations: the column is named by its Chinese header."""
    rows = [good_row(), good_row(), good_row(occurred_at="2099-01-01 10:00")]
    response = post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS), language="zh-hans")
    [(row, message)] = errors_of(response)
    assert row == 5
    assert message.startswith("发生时间")
    assert "2099-01-01 10:00" in message
    assert "第 5 行" in response.content.decode()


def test_future_occurrence_is_rejected(manager_client, owners, nothing_saved):
    soon = timezone.localtime() + timedelta(minutes=5)
    row = good_row(occurred_at=soon.strftime("%Y-%m-%d %H:%M"))
    [(row_number, message)] = errors_of(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS)))
    assert row_number == 3
    assert message.endswith("is in the future.")


def test_future_recorded_at_is_rejected(manager_client, owners, nothing_saved):
    row = good_row(recorded_at=datetime(2099, 1, 1, 10, 0))
    assert errors_of(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS))) == [
        (3, "Recorded at: “2099-01-01 10:00” is in the future.")
    ]


@pytest.mark.parametrize(
    "value", ["yesterday", "2023-13-01 10:00", "2023-02-30 10:00", "2023-10-01", "1899-12-31 10:00"]
)
def test_unreadable_dates_are_rejected(manager_client, owners, nothing_saved, value):
    row = good_row(occurred_at=value)
    assert errors_of(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS))) == [
        (3, f"Occurred at: “{value}” is not a date and time like 2023-10-01 14:30.")
    ]


def test_unknown_owner_and_recorder_are_rejected(manager_client, owners, nothing_saved):
    rows = [good_row(owner="技术工程师王"), good_row(recorded_by="ghost"), good_row(owner=None)]
    assert errors_of(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))) == [
        (3, "Owner: there is no active user “技术工程师王”."),
        (4, "Recorded by: there is no active user “ghost”."),
        (5, "Owner is required."),
    ]


def test_inactive_owner_is_rejected(manager_client, owners, nothing_saved):
    technician, network = owners
    technician.is_active = False
    technician.save()
    assert errors_of(post_file(manager_client, xlsx_bytes([good_row()], headers=EN_HEADERS))) == [
        (3, "Owner: there is no active user “技术工程师*”.")
    ]


def test_owner_must_be_someone_intake_could_pick(manager_client, owners, no_role_user):
    """As intake: the owner is an active engineer, manager or admin; the recorder may be anyone."""
    refused = post_file(manager_client, xlsx_bytes([good_row(owner="norole")], headers=EN_HEADERS))
    assert errors_of(refused) == [
        (3, "Owner: “norole” cannot own tickets (not an engineer, manager or admin).")
    ]
    assert not Ticket.objects.exists()
    assert_imported(
        post_file(manager_client, xlsx_bytes([good_row(recorded_by="norole")], headers=EN_HEADERS))
    )
    assert Ticket.objects.get().recorded_by == no_role_user


def test_ambiguous_owner_is_rejected(manager_client, owners, nothing_saved):
    UserFactory(username="tech2", first_name="*", last_name="", job_title="技术工程师", role="engineer")
    [(row, message)] = errors_of(post_file(manager_client, xlsx_bytes([good_row()], headers=EN_HEADERS)))
    assert row == 3
    assert "matches more than one user" in message


def test_duplicate_ticket_number_in_file_is_rejected(manager_client, owners, nothing_saved):
    rows = [
        good_row(number="TS-20231001-0001"),
        good_row(number="TS-20231001-0002"),
        good_row(number="TS-20231001-0001"),
    ]
    assert errors_of(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))) == [
        (5, "Ticket No.: “TS-20231001-0001” also appears in row 3.")
    ]


def test_malformed_ticket_number_is_rejected(manager_client, owners, nothing_saved):
    rows = [good_row(number="20231001-1"), good_row(number="TS-20231301-0001")]
    assert errors_of(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))) == [
        (3, "Ticket No.: “20231001-1” is not a ticket number like TS-20231001-0001."),
        (4, "Ticket No.: “TS-20231301-0001” is not a ticket number like TS-20231001-0001."),
    ]


def test_reimporting_an_export_reports_existing_numbers(manager_client, owners):
    assert_imported(post_file(manager_client, xlsx_bytes(DOCUMENT_ROWS), language="zh-hans"))
    content = b"".join(manager_client.get(EXPORT_URL, {"sort": "number"}).streaming_content)
    response = post_file(manager_client, content)
    assert errors_of(response) == [
        (3, "Ticket No.: “TS-20231001-0001” already exists."),
        (4, "Ticket No.: “TS-20231001-0002” already exists."),
    ]
    assert Ticket.objects.count() == 2


def test_too_long_values_are_rejected(manager_client, owners, nothing_saved):
    row = good_row(contact="王" * 101, error_message="E" * 501)
    assert errors_of(post_file(manager_client, xlsx_bytes([row], headers=EN_HEADERS))) == [
        (3, "Contact is longer than 100 characters."),
        (3, "Error message (if any) is longer than 500 characters."),
    ]


def test_missing_and_unknown_headers_give_one_file_error(manager_client, owners, nothing_saved):
    headers = [header for header in EN_HEADERS if header != "Owner"] + ["Remarks"]
    rows = [good_row()[:12] + good_row()[13:] + ["x"]]
    [(row, message)] = errors_of(post_file(manager_client, xlsx_bytes(rows, headers=headers)))
    assert row is None
    assert "Missing columns: Owner." in message
    assert "Columns not recognised: Remarks." in message


def test_file_without_tickets_is_an_error(manager_client, owners, nothing_saved):
    assert errors_of(post_file(manager_client, xlsx_bytes([], headers=EN_HEADERS))) == [
        (None, "The file contains no tickets.")
    ]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ("序号,客户名称\n1,TSA公司\n".encode(), "x.xlsx"),
        (b"just some notes", "notes.txt"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx"),
        (bytes(range(256)) * 8, "random.xlsx"),
    ],
)
def test_non_xlsx_upload_is_rejected(manager_client, owners, nothing_saved, content, name):
    response = post_file(manager_client, content, name=name)
    assert errors_of(response) == [(None, "The file is not an Excel .xlsx file.")]
    assert "The file is not an Excel .xlsx file." in response.content.decode()


def test_zip_that_is_not_a_workbook_is_rejected(manager_client, owners, nothing_saved):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert errors_of(post_file(manager_client, buffer.getvalue())) == [
        (None, "The file is not an Excel .xlsx file.")
    ]


def test_file_over_the_size_limit_is_rejected(manager_client, owners, nothing_saved, settings):
    settings.TICKET_IMPORT_MAX_BYTES = 1024
    [(row, message)] = errors_of(post_file(manager_client, xlsx_bytes([good_row()], headers=EN_HEADERS)))
    assert row is None
    assert message.startswith("The file is larger than")


def test_file_over_the_row_limit_is_rejected(manager_client, owners, nothing_saved, settings):
    settings.TICKET_IMPORT_MAX_ROWS = 2
    rows = [good_row(), good_row(), good_row()]
    assert errors_of(post_file(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))) == [
        (None, "The sheet has more than 2 rows below its header; split it into smaller files.")
    ]


def test_import_service_reports_errors_without_a_request(db, owners, manager):
    with translation.override("en"):
        result = import_diagnosis_table(upload=upload(b"not a workbook"), user=manager)
    assert not result.ok
    assert result.tickets == []
    assert [(error.row, error.message) for error in result.errors] == [
        (None, "The file is not an Excel .xlsx file.")
    ]


# --- permissions ----------------------------------------------------------------------------------


def test_engineer_cannot_import(engineer_client, owners, nothing_saved):
    assert engineer_client.get(IMPORT_URL).status_code == 403
    response = engineer_client.post(
        IMPORT_URL, {"file": upload(xlsx_bytes([good_row()], headers=EN_HEADERS))}
    )
    assert response.status_code == 403


def test_user_without_role_cannot_import(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(IMPORT_URL).status_code == 403


def test_manager_sees_the_import_page(manager_client):
    response = manager_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_history_names_the_importer_not_the_recorder(manager_client, manager, owners):
    technician, _network = owners
    response = post_file(manager_client, xlsx_bytes([good_row(recorded_by="技术工程师*")]))
    assert_imported(response)
    ticket = Ticket.objects.get()
    assert ticket.recorded_by == technician
    assert ticket.history.get().history_user == manager
