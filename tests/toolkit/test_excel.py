"""The shared Excel writer (toolkit.excel, XlsxWriter constant_memory): what every export relies on."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from toolkit.excel import Column, write_table

COLUMNS = [
    Column("n", "No.", 6, "number"),
    Column("text", "Text", 30),
    Column("when", "When", 17, "datetime"),
    Column("day", "Day", 12, "date"),
    Column("amount", "Amount", 10, "number"),
]


def _read(exported):
    with exported.file:
        return load_workbook(exported.file)


def test_rows_cells_types_and_formats(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = datetime(2026, 3, 10, 2, 30, tzinfo=ZoneInfo("UTC"))
    rows = [
        [1, "=1+1", moment, date(2026, 3, 11), Decimal("12.50")],
        [2, "line one\r\nline two\rthree", None, None, 3.25],
        [3, "", None, None, True],
        [4, "bell\x07 here", None, None, None],
    ]
    exported = write_table(title="=Title", columns=COLUMNS, rows=rows, filename="t.xlsx", sheet_name="a/b:c")
    assert exported.row_count == 4
    workbook = _read(exported)
    sheet = workbook.active
    assert sheet.title == "a b c"  # characters a sheet name may not hold replaced
    assert sheet["A1"].value == "'=Title"  # the title is neutralised too
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:E6"
    assert sheet["B3"].value == "'=1+1" and sheet["B3"].data_type != "f"
    assert sheet["B3"].alignment.wrap_text
    assert sheet["C3"].value == datetime(2026, 3, 10, 10, 30)  # local wall-clock time, no zone
    assert sheet["C3"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D3"].value == datetime(2026, 3, 11) and sheet["D3"].number_format == "yyyy-mm-dd"
    assert sheet["E3"].value == 12.5
    assert sheet["B4"].value == "line one\nline two\nthree"
    assert sheet["E4"].value == 3.25 and not sheet["E4"].is_date
    assert sheet["B5"].value is None and sheet["E5"].value is True
    assert sheet["B6"].value == "bell here"  # characters XML forbids are dropped


def test_no_rows_keeps_title_header_and_filter():
    exported = write_table(title="Empty", columns=COLUMNS, rows=[], filename="t.xlsx")
    sheet = _read(exported).active
    assert exported.row_count == 0
    assert [c.value for c in sheet[2]] == ["No.", "Text", "When", "Day", "Amount"]
    assert sheet.auto_filter.ref == "A2:E2"


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="row 1 has 2 values for 5 columns"):
        write_table(title="x", columns=COLUMNS, rows=[[1, "a"]], filename="t.xlsx")
