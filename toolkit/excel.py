"""Shared Excel writing: write-only workbooks streamed to a temporary file, every cell sanitised here.

openpyxl's write-only mode keeps memory flat whatever the row count; an xlsx is a zip, so it is
written to a temporary file first and then streamed to the client (see PITFALLS.md).
"""

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# A spreadsheet runs text starting with these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Built once: a new style object per cell costs a third of the export time on large tables.
WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def sanitize_text(value: str) -> str:
    """Text that would be run as a formula gets a leading quote; characters XML forbids are dropped."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    key: str  # stable name, used when a file is read back
    header: str
    width: int
    kind: str = "text"  # text | datetime | number


@dataclass
class ExportedFile:
    file: object
    filename: str
    row_count: int


def _cell(sheet, value, column: Column):
    if isinstance(value, datetime):
        # Excel has no time zones: write the team's local wall-clock time.
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, str):
        value = sanitize_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if column.kind == "text":
        cell.alignment = WRAP_TOP
    return cell


def write_table(
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    filename: str,
    sheet_name: str | None = None,
) -> ExportedFile:
    """Title row, header row, data rows; frozen header, auto-filter, column widths, real dates.

    `sheet_name` is for a title longer than Excel's 31 characters for a sheet name (else it is cut)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sanitize_text(sheet_name or title)[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A3"

    title_cell = WriteOnlyCell(sheet, value=sanitize_text(title))
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    headers = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=sanitize_text(str(column.header)))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        headers.append(cell)
    sheet.append(headers)

    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value, column) for value, column in zip(row, columns, strict=True)])
        count += 1
    last_row = max(count + 2, 2)
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{last_row}"

    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it after streaming
    workbook.save(handle)
    handle.seek(0)
    return ExportedFile(file=handle, filename=filename, row_count=count)
