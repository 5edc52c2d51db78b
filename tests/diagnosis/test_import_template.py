"""The import page offers its layout to download, and the English sheet name fits Excel's 31 characters
(issue 17 item 10)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from diagnosis.exports import COLUMNS
from tests.diagnosis.test_imports import _media, assert_imported, good_row, owners, post_file  # noqa: F401
from toolkit.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media")]


def workbook_of(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.parametrize(
    ("language", "title", "sheet", "first_header"),
    [
        ("zh-hans", "技术服务问题快速诊断表", "技术服务问题快速诊断表", "序号"),
        ("en", "Technical Service Problem Quick Diagnosis Table", "Quick Diagnosis Table", "No."),
    ],
)
def test_the_template_is_the_tables_layout_in_the_page_language(
    manager_client, language, title, sheet, first_header
):
    manager_client.cookies["django_language"] = language
    page = manager_client.get(reverse("diagnosis:import"))
    assert reverse("diagnosis:import_template") in page.content.decode()

    response = manager_client.get(reverse("diagnosis:import_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = workbook_of(response)
    assert workbook.sheetnames == [sheet]
    rows = list(workbook[sheet].iter_rows(values_only=True))
    assert rows[0][0] == title
    assert rows[1][0] == first_header and len(rows[1]) == len(COLUMNS) == 15
    assert len(rows) == 2  # no rows to import by mistake


def test_english_export_sheet_name_is_whole_not_cut(manager_client):
    manager_client.cookies["django_language"] = "en"
    workbook = workbook_of(manager_client.get(reverse("diagnosis:export")))
    assert workbook.sheetnames == ["Quick Diagnosis Table"]
    assert len(workbook.sheetnames[0]) <= 31


@pytest.mark.usefixtures("owners")
def test_the_template_filled_in_imports(manager_client):
    manager_client.cookies["django_language"] = "en"
    workbook = workbook_of(manager_client.get(reverse("diagnosis:import_template")))
    workbook.active.append(good_row())
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert_imported(post_file(manager_client, buffer.getvalue(), language="en"))
    assert Ticket.objects.filter(description="无法登录系统").exists()


def test_engineers_get_no_template(engineer_client):
    assert engineer_client.get(reverse("diagnosis:import_template")).status_code == 403
