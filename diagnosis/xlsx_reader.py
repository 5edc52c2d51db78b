"""The ticket import's reading of an .xlsx sheet on openpyxl (values only, no size look-up).

Apart from diagnosis/imports.py so that openpyxl (and Pillow, which it imports) is loaded by the first
import rather than by every web worker at start-up (issue 15: memory).
"""

import functools

from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import INLINE_STRING, ROW_TAG, VALUE_TAG, WorkSheetParser, _cast_number
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

_TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"
_RUN_TAG = f"{{{SHEET_MAIN_NS}}}r"
_DIGITS = "0123456789"


@functools.lru_cache(maxsize=256)
def _column_index(letters: str) -> int:
    return column_index_from_string(letters)


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(number)


def _inline_text(element) -> str:
    """An inline string's text without its formatting: the plain part, then each run's (as openpyxl)."""
    if len(element) == 1 and element[0].tag == _TEXT_TAG:  # <is><t>text</t></is>, nearly always
        return element[0].text or ""
    plain = element.findtext(_TEXT_TAG)
    runs = [run.findtext(_TEXT_TAG) or "" for run in element.iterfind(_RUN_TAG)]
    return "".join([plain, *runs] if plain is not None else runs)


class _ValuesParser(WorkSheetParser):
    """openpyxl's sheet parser reading only what values_only gives: each cell's column and value.

    openpyxl's own parse_cell works out a styled cell (coordinate tuple, data type, style, an object per
    inline string) for every cell, and values_only then drops all but the value: most of the time of
    reading a large table. The same XML is read to the same values here (data_only: a formula's cached
    result; numbers, dates by their number format, shared and inline strings, booleans, ISO dates).
    """

    def parse(self):
        """The rows only: what openpyxl's parse() also reads (column widths, print settings, formatting)
        a values_only read drops."""
        for _event, element in iterparse(self.source):
            if element.tag == ROW_TAG:
                yield self.parse_row(element)
                element.clear()

    def parse_row(self, row):
        number = row.get("r")
        self.row_counter = _row_number(number) if number is not None else self.row_counter + 1
        self.col_counter = 0
        return self.row_counter, [self._cell(element) for element in row]

    def _cell(self, element) -> dict:
        coordinate = element.get("r")
        if coordinate:
            self.col_counter = _column_index(coordinate.rstrip(_DIGITS))
        else:
            self.col_counter += 1
        data_type = element.get("t", "n")
        if data_type == "inlineStr":
            child = element.find(INLINE_STRING)
            value = None if child is None else _inline_text(child)
        else:
            value = element.findtext(VALUE_TAG) or None
            if value is not None:
                if data_type == "n":
                    value = self._number(value, element.get("s"))
                elif data_type == "s":
                    value = self.shared_strings[int(value)]
                elif data_type == "b":
                    value = bool(int(value))
                elif data_type == "d":
                    value = from_ISO8601(value)
                # "str" (a formula's text) and "e" (an error such as #N/A) are kept as written.
        return {"column": self.col_counter, "value": value}

    def _number(self, text: str, style: str | None):
        value = _cast_number(text)
        if style and int(style) in self.date_formats:
            try:
                return from_excel(value, self.epoch, timedelta=int(style) in self.timedelta_formats)
            except (OverflowError, ValueError):
                return "#VALUE!"  # openpyxl's reading of a date serial out of range
        return value


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its size when the workbook is opened, and reads values.

    openpyxl parses a sheet without a <dimension> element to its end for that, before any row is asked
    for (a 1 MB file of blank numbered rows: minutes of CPU). Rows are read with explicit limits instead,
    by _ValuesParser (the import only ever asks for values).
    """

    def _get_size(self):
        self._min_column = self._min_row = 1
        self._max_column = self._max_row = None

    def _cells_by_row(self, min_col, min_row, max_col, max_row, values_only=False):
        """openpyxl's own, with _ValuesParser: rows from min_row to max_row (blank ones filled in), each
        min_col to max_col wide."""
        if not values_only:
            yield from super()._cells_by_row(min_col, min_row, max_col, max_row, values_only)
            return
        empty_row = (None,) * (max_col + 1 - min_col) if max_col is not None else ()
        counter = min_row
        with self._get_source() as source:
            parser = _ValuesParser(
                source,
                self._shared_strings,
                data_only=True,
                epoch=self.parent.epoch,
                date_formats=self.parent._date_formats,
                timedelta_formats=self.parent._timedelta_formats,
            )
            for number, cells in parser.parse():
                if max_row is not None and number > max_row:
                    for _left_out in range(counter, max_row + 1):
                        yield empty_row
                    return
                while counter < number:  # rows the sheet leaves out
                    counter += 1
                    yield empty_row
                if counter == number:
                    counter += 1
                    yield self._get_row(cells, min_col, max_col, values_only=True)


class _WorkbookReader(ExcelReader):
    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                self.wb._sheets.append(_UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings))
