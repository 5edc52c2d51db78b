"""Excel import of the diagnosis table: the layout diagnosis/exports.py writes, checked row by row.

The page checks the upload's size at once (bytes, unpacked size, the sheets' declared dimensions: no row
is parsed in the web request) and hands the file to a background job (jobs/). The job reads at most
TICKET_IMPORT_MAX_ROWS rows below the header — openpyxl is never asked for more, whatever the file
claims — validates every row, collecting every problem with its Excel row number, and only when the
whole file is clean saves the tickets, all in one transaction: a file is imported completely or not at
all.

Saving is in bulk, as the single-ticket path does per row (customers, contacts, tickets, their history,
SLA targets, search documents): a few statements per thousand rows. Ticket numbers are reserved first,
in their own short transaction, so intake never waits on the import for a number and never gets one
the import uses. Rows that are closed history (the importer says so, or by default: a closed stage
column, or recorded longer ago than the longest SLA resolution) are saved closed with their targets
met, so they never ring a reminder.
"""

import logging
import re
import time
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import TextChoices
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.functions import iterparse

from jobs.models import Job, JobKind
from jobs.services import job_create, job_fail, job_finish, job_lock_running, job_progress
from knowledge.services import tickets_index
from toolkit import sla
from toolkit.calendar import Calendar, add_clock_minutes
from toolkit.choices import Priority, ProblemType, Source, Stage
from toolkit.excel import FORMULA_TRIGGERS
from toolkit.models import Contact, Customer, SlaPolicy, StageChange, Ticket, TicketNumberSequence
from toolkit.services import (
    TICKET_NUMBER_RE,
    format_ticket_number,
    truncate_to_minute,
    validate_occurred_at,
)

from .exports import COLUMNS, TO_BE_VERIFIED

logger = logging.getLogger(__name__)

KEYS = [column.key for column in COLUMNS]
REQUIRED_KEYS = [
    "customer",
    "contact",
    "source",
    "occurred_at",
    "description",
    "problem_type",
    "priority",
    "owner",
]

# A row with at least this many recognised headers is the header row (the title row has none).
HEADER_MIN_MATCHES = 2
# How long a cell value may be when quoted back in an error message.
QUOTED_VALUE_LENGTH = 60
# An xlsx is a zip: a small upload may unpack to gigabytes of XML. Real tables compress ~5-10x.
MAX_UNPACK_RATIO = 50
# Excel's own dates start in 1900; anything earlier is a typo (and may not fit the database).
EARLIEST_YEAR = 1900
# Beyond the document's 15 columns the import understands a stage column (the importer's own, or a
# later export's): a closed or cancelled stage makes the row closed history.
EXTRA_COLUMNS = {"stage": gettext_lazy("Stage")}
# Rows per INSERT statement, and per progress report while checking rows.
BATCH_SIZE = 1000

_DATETIME_TEXT = re.compile(
    r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"\s*T?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?$"
)
_PRIORITY_TEXT = re.compile(r"^P(?P<level>[0-3])(?![0-9])")


@dataclass(frozen=True)
class ImportProblem:
    """One reason the file cannot be imported; row is the Excel row number, None for the whole file."""

    row: int | None
    message: str


@dataclass
class ImportResult:
    tickets: list = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    history: int = 0  # how many of the tickets were saved closed (history)

    @property
    def ok(self) -> bool:
        return not self.errors


class _CellRejected(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- text helpers -----------------------------------------------------------------------------


def _normalise(value: str) -> str:
    """For comparing headers and labels: full-width forms folded, whitespace dropped, case ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()


def _cell_text(value) -> str:
    """A cell as text: whole numbers without .0, dates to the minute, the export's formula quote removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    # The export writes '=1+1 for =1+1 so that no spreadsheet runs it; undo that here.
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_TRIGGERS):
        text = text[1:]
    return text


def _quoted(value) -> str:
    text = _cell_text(value)
    if len(text) > QUOTED_VALUE_LENGTH:
        text = text[: QUOTED_VALUE_LENGTH - 1] + "…"
    return text


def _is_blank(values) -> bool:
    return all(_cell_text(value) == "" for value in values)


def _in_every_language(text) -> list[str]:
    """A lazy translation rendered in each configured language, plus the current one."""
    rendered = [str(text)]
    for code, _name in settings.LANGUAGES:
        with override(code):
            rendered.append(str(text))
    return rendered


# --- reading the workbook ---------------------------------------------------------------------


class ImportRejected(Exception):
    """The whole file is refused (not a workbook, too large, wrong headers); `message` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _header_lookup() -> dict[str, str]:
    """Normalised header text (every language) → column key."""
    lookup = {}
    headers = [*((column.key, column.header) for column in COLUMNS), *EXTRA_COLUMNS.items()]
    for key, header in headers:
        for text in _in_every_language(header):
            lookup[_normalise(text)] = key
    return lookup


def _column_label(key: str) -> str:
    if key in EXTRA_COLUMNS:
        return str(EXTRA_COLUMNS[key])
    return str(COLUMNS[KEYS.index(key)].header)


def _too_large() -> ImportRejected:
    return ImportRejected(
        _("The file is larger than %(limit)s.") % {"limit": filesizeformat(settings.TICKET_IMPORT_MAX_BYTES)}
    )


def _too_many_rows() -> ImportRejected:
    return ImportRejected(
        _("The sheet has more than %(limit)d rows below its header; split it into smaller files.")
        % {"limit": settings.TICKET_IMPORT_MAX_ROWS}
    )


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _declared_rows(archive: zipfile.ZipFile, member: str) -> int | None:
    """The last row a worksheet's <dimension> declares, reading only what comes before its rows.

    (openpyxl's own look-up parses the whole sheet when the element is missing.)
    """
    with archive.open(member) as source:
        for _event, element in iterparse(source, events=("start",)):
            name = _local_name(element.tag)
            if name == "dimension":
                match = re.search(r"(\d+)$", element.get("ref", ""))
                return int(match[1]) if match else None
            if name == "sheetData":
                return None
    return None


def check_upload(upload) -> None:
    """The checks cheap enough for the web request: size, unpacked size, and the rows the sheets declare.

    Raises ImportRejected. No row is parsed here; the job reads the rows with a hard limit.
    """
    if upload.size is not None and upload.size > settings.TICKET_IMPORT_MAX_BYTES:
        raise _too_large()
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            unpacked = sum(member.file_size for member in members)
            if unpacked > settings.TICKET_IMPORT_MAX_BYTES * MAX_UNPACK_RATIO:
                raise _too_large()
            sheets = [m.filename for m in members if re.fullmatch(r"xl/worksheets/[^/]+\.xml", m.filename)]
            if not sheets:
                raise ImportRejected(_("The file is not an Excel .xlsx file."))
            # Title and header rows, then at most the limit: a sheet declaring more is refused unread.
            limit = settings.TICKET_IMPORT_MAX_ROWS + 2
            if any((_declared_rows(archive, name) or 0) > limit for name in sheets):
                raise _too_many_rows()
    except ImportRejected:
        raise
    except Exception:  # zipfile and XML errors alike: the bytes are not a workbook.
        logger.info("Rejected import upload %r: not an xlsx file", getattr(upload, "name", ""), exc_info=True)
        raise ImportRejected(_("The file is not an Excel .xlsx file.")) from None
    finally:
        upload.seek(0)


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its size when the workbook is opened.

    openpyxl parses a sheet without a <dimension> element to its end for that, before any row is asked
    for (a 1 MB file of blank numbered rows: minutes of CPU). Rows are read with explicit limits instead.
    """

    def _get_size(self):
        self._min_column = self._min_row = 1
        self._max_column = self._max_row = None


class _WorkbookReader(ExcelReader):
    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                self.wb._sheets.append(_UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings))


def _open_sheet(upload):
    check_upload(upload)
    try:
        reader = _WorkbookReader(upload, read_only=True, data_only=True)
        reader.read()
        workbook = reader.wb
    except Exception:  # zipfile, XML and openpyxl errors alike: the bytes are not a workbook.
        logger.info(
            "Rejected import upload %r: not an xlsx workbook", getattr(upload, "name", ""), exc_info=True
        )
        raise ImportRejected(_("The file is not an Excel .xlsx file.")) from None
    sheet = workbook.active if hasattr(workbook.active, "iter_rows") else None
    if sheet is None and workbook.worksheets:
        sheet = workbook.worksheets[0]
    if sheet is None:
        workbook.close()
        raise ImportRejected(_("The file has no worksheet."))
    return workbook, sheet


def _find_header(sheet, lookup) -> tuple[int, list]:
    """The header row is row 2 (after the title) or row 1 (file without a title)."""
    first_rows = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    first_rows += [()] * (2 - len(first_rows))
    matches = [sum(1 for value in row if _normalise(_cell_text(value)) in lookup) for row in first_rows]
    if matches[0] >= HEADER_MIN_MATCHES and matches[0] >= matches[1]:
        return 1, list(first_rows[0])
    return 2, list(first_rows[1])


def _map_headers(header_values, lookup) -> dict[str, int]:
    """Column key → 0-based index; raises one file-level error for missing, unknown or repeated headers."""
    positions, unknown, repeated = {}, [], []
    for index, value in enumerate(header_values):
        text = _cell_text(value)
        if not text:
            continue
        key = lookup.get(_normalise(text))
        if key is None:
            unknown.append(text)
        elif key in positions:
            repeated.append(text)
        else:
            positions[key] = index
    missing = [_column_label(key) for key in REQUIRED_KEYS if key not in positions]
    if not (missing or unknown or repeated):
        return positions
    parts = [
        _(
            "The header row (row 1 or row 2) does not match the diagnosis table; "
            "use the layout of the exported file."
        )
    ]
    if missing:
        parts.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        parts.append(_("Columns not recognised: %(columns)s.") % {"columns": ", ".join(unknown)})
    if repeated:
        parts.append(_("Columns given twice: %(columns)s.") % {"columns": ", ".join(repeated)})
    raise ImportRejected(" ".join(parts))


def _read_rows(sheet, header_row: int, positions: dict[str, int]) -> list[tuple[int, dict]]:
    """(Excel row number, {key: raw value}) for every non-blank row below the header.

    openpyxl is asked for one row more than the limit and no further, whatever the sheet holds: blank
    rows count, so a file of millions of empty numbered rows costs no more than a full legitimate one.
    """
    width = max(positions.values()) + 1
    limit = settings.TICKET_IMPORT_MAX_ROWS
    rows = []
    cells = sheet.iter_rows(
        min_row=header_row + 1, max_row=header_row + limit + 1, max_col=width, values_only=True
    )
    for row_number, values in enumerate(cells, start=header_row + 1):
        if row_number > header_row + limit:
            raise _too_many_rows()
        values = tuple(values) + (None,) * (width - len(values))
        # A row with nothing but its 序号 (a pre-numbered template) is blank too.
        if _is_blank(value for index, value in enumerate(values) if index != positions.get("no")):
            continue
        rows.append((row_number, {key: values[index] for key, index in positions.items()}))
    return rows


def _read_upload(upload) -> list[tuple[int, dict]]:
    workbook, sheet = _open_sheet(upload)
    try:
        lookup = _header_lookup()
        header_row, header_values = _find_header(sheet, lookup)
        positions = _map_headers(header_values, lookup)
        rows = _read_rows(sheet, header_row, positions)
    except ImportRejected:
        raise
    except Exception:  # A sheet that fails to parse part-way is as unreadable as a broken zip.
        logger.info("Rejected import upload %r: unreadable sheet", getattr(upload, "name", ""), exc_info=True)
        raise ImportRejected(_("The file is not an Excel .xlsx file.")) from None
    finally:
        workbook.close()
    if not rows:
        raise ImportRejected(_("The file contains no tickets."))
    return rows


# --- parsing one cell ---------------------------------------------------------------------------


def _required_error(key: str) -> "_CellRejected":
    return _CellRejected(_("%(column)s is required.") % {"column": _column_label(key)})


def _required_text(key: str, value, max_length: int | None = None) -> str:
    text = _cell_text(value)
    if not text:
        raise _required_error(key)
    return _limited(key, text, max_length)


def _optional_text(key: str, value, max_length: int | None = None) -> str:
    return _limited(key, _cell_text(value), max_length)


def _limited(key: str, text: str, max_length: int | None) -> str:
    if max_length is not None and len(text) > max_length:
        raise _CellRejected(
            _("%(column)s is longer than %(limit)d characters.")
            % {"column": _column_label(key), "limit": max_length}
        )
    return text


def _choice_lookup(choices) -> dict[str, str]:
    """Normalised code and label (every language) → code."""
    lookup = {}
    for member in choices:
        lookup[_normalise(member.value)] = member.value
        for text in _in_every_language(member.label):
            lookup[_normalise(text)] = member.value
    return lookup


def _parse_choice(key: str, value, choices, lookup: dict[str, str]) -> str:
    text = _required_text(key, value)
    code = lookup.get(_normalise(text))
    if code is None:
        raise _CellRejected(
            _("%(column)s: “%(value)s” is not one of: %(choices)s.")
            % {
                "column": _column_label(key),
                "value": _quoted(value),
                "choices": ", ".join(str(c.label) for c in choices),
            }
        )
    return code


def _parse_priority(key: str, value) -> str:
    """P0–P3, also written with its label (P1 高, P1 High)."""
    text = _required_text(key, value)
    match = _PRIORITY_TEXT.match(unicodedata.normalize("NFKC", text).upper())
    if match is None:
        raise _CellRejected(
            _("%(column)s: “%(value)s” is not a priority (P0, P1, P2 or P3).")
            % {"column": _column_label(key), "value": _quoted(value)}
        )
    return Priority(f"P{match['level']}").value


def _parse_datetime(key: str, value, *, required: bool = True) -> datetime | None:
    """A real Excel date cell or text such as 2023-10-01 14:30, 2023/10/01 14:30 or 2023-10-0114:30.

    Read in the current time zone, cut to the minute, and never in the future.
    """
    if isinstance(value, datetime):
        naive = value
    else:
        text = _cell_text(value)
        if not text:
            if required:
                raise _required_error(key)
            return None
        match = _DATETIME_TEXT.match(unicodedata.normalize("NFKC", text))
        try:
            if match is None or int(match["year"]) < EARLIEST_YEAR:
                raise ValueError(text)
            naive = datetime(  # noqa: DTZ001 - made aware in the current time zone just below
                *(int(match[part]) for part in ("year", "month", "day", "hour", "minute")),
                int(match["second"] or 0),
            )
        except ValueError:
            raise _CellRejected(
                _("%(column)s: “%(value)s” is not a date and time like 2023-10-01 14:30.")
                % {"column": _column_label(key), "value": _quoted(value)}
            ) from None
    moment = truncate_to_minute(naive if timezone.is_aware(naive) else timezone.make_aware(naive))
    try:
        validate_occurred_at(moment)  # the shared "not in the future" rule
    except ValidationError:
        raise _CellRejected(
            _("%(column)s: “%(value)s” is in the future.")
            % {"column": _column_label(key), "value": _quoted(value)}
        ) from None
    return moment


def _verification_markers() -> list[str]:
    """“(待验证)” / “(to be verified)” as exported, also with full-width brackets; longest first."""
    markers = set()
    for text in _in_every_language(TO_BE_VERIFIED):
        markers.update(
            {text, unicodedata.normalize("NFKC", text), text.replace("(", "（").replace(")", "）")}
        )
    return sorted((marker.casefold() for marker in markers if marker), key=len, reverse=True)


def _parse_judgement(key: str, value, markers: list[str]) -> tuple[str, bool]:
    """A trailing to-be-verified marker sets the flag and is removed from the text."""
    text = _cell_text(value)
    unverified = False
    for marker in markers:
        if text.casefold().endswith(marker):
            text, unverified = text[: -len(marker)].rstrip(), True
            break
    return _limited(key, text, _max_length(Ticket, "preliminary_judgement")), unverified


def _parse_number(key: str, value) -> str:
    text = _cell_text(value)
    if not text:
        return ""
    match = TICKET_NUMBER_RE.match(text)
    valid = match is not None
    if valid:
        day = match["day"]
        try:
            date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            valid = False
    if not valid:
        raise _CellRejected(
            _("%(column)s: “%(value)s” is not a ticket number like TS-20231001-0001.")
            % {"column": _column_label(key), "value": _quoted(value)}
        )
    return text


class _UserDirectory:
    """Active users found by display name (技术工程师*), user name or full name, in that order."""

    def __init__(self):
        self._indexes = ({}, {}, {})
        for user in get_user_model().objects.filter(is_active=True):
            names = (user.display_name, user.get_username(), user.get_full_name())
            for index, name in zip(self._indexes, names, strict=True):
                if name:
                    index.setdefault(_normalise(name), []).append(user)

    def find(self, key: str, value, *, default=None):
        """The user a cell names; a blank cell gives `default`, or is an error without one."""
        text = _cell_text(value)
        if not text:
            if default is None:
                raise _required_error(key)
            return default
        for index in self._indexes:
            users = index.get(_normalise(text), [])
            if len(users) == 1:
                return users[0]
            if len(users) > 1:
                raise _CellRejected(
                    _("%(column)s: “%(value)s” matches more than one user; write the user name instead.")
                    % {"column": _column_label(key), "value": _quoted(value)}
                )
        raise _CellRejected(
            _("%(column)s: there is no active user “%(value)s”.")
            % {"column": _column_label(key), "value": _quoted(value)}
        )


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# --- parsing one row ----------------------------------------------------------------------------


@dataclass
class _RowContext:
    """What every row needs, built once per file."""

    importer: object
    users: _UserDirectory = field(default_factory=_UserDirectory)
    sources: dict = field(default_factory=lambda: _choice_lookup(Source))
    types: dict = field(default_factory=lambda: _choice_lookup(ProblemType))
    stages: dict = field(default_factory=lambda: _choice_lookup(Stage))
    markers: list = field(default_factory=_verification_markers)


def _parse_row(cells: dict, context: _RowContext) -> tuple[dict, list[str]]:
    """The ticket fields of one row and its problems; every cell is checked, not only the first bad one."""
    fields, problems = {}, []
    get = cells.get
    parsers = {
        "number": lambda: _parse_number("number", get("number")),
        "customer_name": lambda: _required_text("customer", get("customer"), _max_length(Customer, "name")),
        "contact_name": lambda: _required_text("contact", get("contact"), _max_length(Contact, "name")),
        "contact_details": lambda: _optional_text(
            "contact_details", get("contact_details"), _max_length(Ticket, "contact_details")
        ),
        "source": lambda: _parse_choice("source", get("source"), Source, context.sources),
        "occurred_at": lambda: _parse_datetime("occurred_at", get("occurred_at")),
        "description": lambda: _required_text("description", get("description")),
        "error_message": lambda: _optional_text(
            "error_message", get("error_message"), _max_length(Ticket, "error_message")
        ),
        "problem_type": lambda: _parse_choice(
            "problem_type", get("problem_type"), ProblemType, context.types
        ),
        "priority": lambda: _parse_priority("priority", get("priority")),
        "judgement": lambda: _parse_judgement("judgement", get("judgement"), context.markers),
        "owner": lambda: context.users.find("owner", get("owner")),
        "recorded_by": lambda: context.users.find(
            "recorded_by", get("recorded_by"), default=context.importer
        ),
        "recorded_at": lambda: _parse_datetime("recorded_at", get("recorded_at"), required=False),
        "stage": lambda: (
            _parse_choice("stage", get("stage"), Stage, context.stages) if _cell_text(get("stage")) else ""
        ),
    }
    for name, parse in parsers.items():
        try:
            fields[name] = parse()
        except _CellRejected as problem:
            problems.append(problem.message)
    return fields, problems


def _check_numbers(parsed: list[tuple[int, dict]]) -> list[ImportProblem]:
    """Given ticket numbers must be new: not in the database and not twice in the file."""
    problems, first_row = [], {}
    label = _column_label("number")
    for row_number, fields in parsed:
        number = fields.get("number")
        if not number:
            continue
        if number in first_row:
            problems.append(
                ImportProblem(
                    row_number,
                    _("%(column)s: “%(value)s” also appears in row %(row)d.")
                    % {"column": label, "value": number, "row": first_row[number]},
                )
            )
        else:
            first_row[number] = row_number
    existing = set()
    numbers = list(first_row)
    for start in range(0, len(numbers), 500):  # stay below every database's parameter limit
        existing.update(
            Ticket.objects.filter(number__in=numbers[start : start + 500]).values_list("number", flat=True)
        )
    for number in sorted(existing, key=first_row.get):
        problems.append(
            ImportProblem(
                first_row[number],
                _("%(column)s: “%(value)s” already exists.") % {"column": label, "value": number},
            )
        )
    return problems


def _validate(rows, *, importer, progress=None) -> tuple[list[tuple[int, dict]], list[ImportProblem]]:
    context = _RowContext(importer=importer)
    parsed, problems = [], []
    for index, (row_number, cells) in enumerate(rows, start=1):
        fields, row_problems = _parse_row(cells, context)
        parsed.append((row_number, fields))
        problems.extend(ImportProblem(row_number, message) for message in row_problems)
        if progress is not None and index % BATCH_SIZE == 0:
            progress(index)
    problems.extend(_check_numbers(parsed))
    problems.sort(key=lambda problem: problem.row or 0)
    return parsed, problems


# --- saving ---------------------------------------------------------------------------------------


class RowsAre(TextChoices):
    """How the importer says rows without a stage cell should be treated."""

    AUTO = "auto", gettext_lazy("Decide per row: closed history if recorded long ago, open otherwise")
    OPEN = "open", gettext_lazy("Open tickets: their SLA clocks run from the recorded time")
    HISTORY = "history", gettext_lazy("Closed history: saved closed, no SLA reminders")


# How many created ticket numbers the job's report lists (it also gives the count).
REPORT_TICKETS = 200


def history_cutoff(*, now) -> datetime | None:
    """Rows recorded before this are history by default: the longest SLA resolution time has passed since
    (open, every one of them would be born breached and ring at once). None without SLA policies."""
    policies = list(SlaPolicy.objects.all())
    if not policies:
        return None
    calendar = Calendar.load()
    return min(
        add_clock_minutes(now, -policy.resolution_minutes, clock=policy.clock, calendar=calendar)
        for policy in policies
    )


def _ticket_defaults() -> dict:
    """Priority-suggestion inputs the file does not carry: the model defaults, and no suggestion."""
    return {
        "impact_scope": Ticket._meta.get_field("impact_scope").get_default(),
        "business_urgency": Ticket._meta.get_field("business_urgency").get_default(),
        "suggested_priority": "",
    }


@dataclass
class _Row:
    """One valid row on its way into the database."""

    row_number: int
    fields: dict
    recorded_at: datetime
    stage: str
    number: str = ""


def _plan_rows(parsed, *, rows_are: str, now) -> list[_Row]:
    cutoff = history_cutoff(now=now) if rows_are == RowsAre.AUTO else None
    plans = []
    for row_number, fields in parsed:
        recorded_at = fields["recorded_at"] or truncate_to_minute(now)
        stage = fields["stage"]
        if not stage:
            if rows_are == RowsAre.HISTORY:
                stage = Stage.CLOSED
            elif rows_are == RowsAre.AUTO and cutoff is not None:
                # Without a recorded time, when it happened is the best evidence of its age.
                moment = fields["recorded_at"] or fields["occurred_at"]
                stage = Stage.CLOSED if moment < cutoff else Stage.NEW
            else:
                stage = Stage.NEW
        plans.append(_Row(row_number, fields, recorded_at, stage, fields["number"]))
    return plans


def _number_day(number: str) -> date:
    day = TICKET_NUMBER_RE.match(number)["day"]
    return date(int(day[:4]), int(day[4:6]), int(day[6:]))


def _number_seq(number: str) -> int:
    return int(TICKET_NUMBER_RE.match(number)["seq"])


def _reserve_numbers(plans: list[_Row]) -> None:
    """Numbers for the rows without one, in one short transaction of its own.

    The bulk form of ticket_numbers_reserve and ticket_number_claim: the same per-day sequence rows,
    locked (in day order, one lock order for every writer) and moved past every number handed out here
    or given in the file, a few statements for any number of days. Intake waits for a day's row only
    this long, never for the import's save, and never gets a number the import uses. An import that
    then fails leaves a gap in the numbering, which is harmless.
    """
    claimed, wanted = defaultdict(int), defaultdict(list)
    for plan in plans:
        if plan.number:
            day = _number_day(plan.number)
            claimed[day] = max(claimed[day], _number_seq(plan.number))
        else:
            wanted[timezone.localdate(plan.recorded_at)].append(plan)
    days = sorted(claimed.keys() | wanted.keys())
    with transaction.atomic():
        TicketNumberSequence.objects.bulk_create(
            [TicketNumberSequence(day=day) for day in days], ignore_conflicts=True
        )
        sequences = {}
        for chunk in _chunks(days):
            query = TicketNumberSequence.objects.select_for_update().filter(day__in=chunk).order_by("day")
            sequences.update((sequence.day, sequence) for sequence in query)
        for day in days:
            sequence = sequences[day]
            last = max(sequence.last_value, claimed.get(day, 0))
            rows = sorted(wanted.get(day, []), key=lambda plan: (plan.recorded_at, plan.row_number))
            for seq, plan in enumerate(rows, start=last + 1):
                plan.number = format_ticket_number(day, seq)
            sequence.last_value = last + len(rows)
        sla.update_rows(sequences.values(), ["last_value"])


def _chunks(items, size=500):
    """Slices small enough for every database's parameter limit."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _customers(names: set[str], *, importer) -> dict[str, Customer]:
    """The customers these names denote, creating the missing ones (as customer_get_or_create does)."""
    found = {}
    for chunk in _chunks(sorted(names)):
        found.update((customer.name, customer) for customer in Customer.objects.filter(name__in=chunk))
    missing = sorted(names - found.keys())
    if missing:
        # Sorted, so two imports creating the same customers take their locks in the same order; one
        # created meanwhile by someone else is skipped here and read back below.
        Customer.objects.bulk_create(
            [Customer(name=name) for name in missing], batch_size=BATCH_SIZE, ignore_conflicts=True
        )
        created = []
        for chunk in _chunks(missing):
            created.extend(Customer.objects.filter(name__in=chunk))
        found.update((customer.name, customer) for customer in created)
        Customer.history.bulk_history_create(created, batch_size=BATCH_SIZE, default_user=importer)
    return found


def _contacts(details_by_key: dict[tuple[int, str], str], *, importer) -> dict[tuple[int, str], Contact]:
    """The contacts for these (customer id, name) keys, creating the missing ones and filling in details
    an existing contact still lacks (as contact_get_or_create does)."""

    def read(keys):
        found = {}
        for chunk in _chunks(sorted({customer_id for customer_id, _name in keys})):
            for contact in Contact.objects.filter(customer_id__in=chunk):
                key = (contact.customer_id, contact.name)
                if key in keys:
                    found[key] = contact
        return found

    found = read(details_by_key.keys())
    missing = sorted(details_by_key.keys() - found.keys())
    if missing:
        Contact.objects.bulk_create(
            [Contact(customer_id=pk, name=name, details=details_by_key[(pk, name)]) for pk, name in missing],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        created = read(set(missing))
        found.update(created)
        Contact.history.bulk_history_create(created.values(), batch_size=BATCH_SIZE, default_user=importer)
    filled = []
    for key, contact in found.items():
        if not contact.details and details_by_key[key]:
            contact.details = details_by_key[key]
            filled.append(contact)
    if filled:
        Contact.objects.bulk_update(filled, ["details"], batch_size=BATCH_SIZE)
        Contact.history.bulk_history_create(filled, batch_size=BATCH_SIZE, update=True, default_user=importer)
    return found


def _history_created(tickets, *, by, at) -> None:
    """The tickets' "created" history rows (what simple_history writes on save), as one parameterised
    INSERT run for every row: building a historical model instance per row costs more than the rest of
    the save. Columns come from the history model; values are parameters."""
    model = Ticket.history.model
    fields = [field for field in model._meta.concrete_fields if field.attname != model._meta.pk.attname]
    extra = {"history_date": at, "history_user_id": by.pk, "history_change_reason": None, "history_type": "+"}
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        [
            field.get_db_prep_save(
                extra[field.attname] if field.attname in extra else getattr(ticket, field.attname), connection
            )
            for field in fields
        ]
        for ticket in tickets
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _insert(plans: list[_Row], *, importer, now) -> list[Ticket]:
    """Everything the single-ticket path (toolkit.services.ticket_create) writes, for all rows at once."""
    customers = _customers({plan.fields["customer_name"] for plan in plans}, importer=importer)
    details_by_key = {}
    for plan in plans:
        key = (customers[plan.fields["customer_name"]].pk, plan.fields["contact_name"])
        # The first row with details gives them, as a later row fills in what an earlier one lacked.
        if not details_by_key.get(key):
            details_by_key[key] = plan.fields["contact_details"]
    contacts = _contacts(details_by_key, importer=importer)
    defaults = _ticket_defaults()
    tickets = []
    for plan in plans:
        fields = plan.fields
        customer = customers[fields["customer_name"]]
        judgement, unverified = fields["judgement"]
        ticket = Ticket(
            number=plan.number,
            customer=customer,
            contact=contacts[(customer.pk, fields["contact_name"])],
            contact_details=fields["contact_details"],
            source=fields["source"],
            occurred_at=fields["occurred_at"],
            description=fields["description"],
            error_message=fields["error_message"],
            problem_type=fields["problem_type"],
            priority=fields["priority"],
            preliminary_judgement=judgement,
            judgement_unverified=unverified,
            owner=fields["owner"],
            recorded_by=fields["recorded_by"],
            recorded_at=plan.recorded_at,
            stage=plan.stage,
            **defaults,
        )
        ticket._history_user = importer  # the history names who imported, not the recorder
        tickets.append(ticket)
    reasons = {
        Stage.CLOSED: _("Imported as closed history."),
        Stage.CANCELLED: _("Imported as cancelled."),
    }
    calendar = Calendar.load()
    for batch in _chunks(tickets, BATCH_SIZE):
        Ticket.objects.bulk_create(batch)
        _history_created(batch, by=importer, at=now)
        # A ticket imported past 新建 went there when it was recorded (its stage history says so, and
        # reopening a closed one resumes its clock from then).
        StageChange.objects.bulk_create(
            StageChange(
                ticket=ticket,
                from_stage=Stage.NEW,
                to_stage=ticket.stage,
                reason=reasons.get(ticket.stage, _("Imported in this stage.")),
                changed_by=importer,
                changed_at=ticket.recorded_at,
            )
            for ticket in batch
            if ticket.stage != Stage.NEW
        )
        # Closed rows get their targets met at once: the scan never looks at them.
        sla.sla_start_many(batch, now=now, calendar=calendar)
        tickets_index(batch)
    return tickets


def _save_all(parsed, *, importer, rows_are: str, guard=None, finish=None) -> ImportResult:
    """Create every ticket in one transaction; if anything fails, none is kept.

    `guard` runs first inside that transaction and `finish(result)` last (the job's exactly-once check
    and its move to done, committed together with the tickets).
    """
    now = timezone.now()
    plans = _plan_rows(parsed, rows_are=rows_are, now=now)
    try:
        _reserve_numbers(plans)
        with transaction.atomic():
            if guard is not None:
                guard()
            tickets = _insert(plans, importer=importer, now=now)
            result = ImportResult(tickets=tickets, history=sum(plan.stage == Stage.CLOSED for plan in plans))
            if finish is not None:
                finish(result)
    except DatabaseError:  # IntegrityError included: e.g. a number in the file taken meanwhile
        logger.exception("Ticket import failed while saving")
        reason = _("the database refused the data")
        message = _("Could not save: %(reason)s. Nothing was imported.") % {"reason": reason}
        return ImportResult(errors=[ImportProblem(None, message)])
    return result


def import_diagnosis_table(
    *, upload, user, rows_are: str = RowsAre.AUTO, progress=None, guard=None, finish=None
) -> ImportResult:
    """Check every row of the uploaded table; save all of its tickets, or none and say why.

    `progress(done, total=None)` hears how far the check has got; `guard` and `finish` see _save_all.
    """
    try:
        rows = _read_upload(upload)
    except ImportRejected as rejected:
        return ImportResult(errors=[ImportProblem(None, rejected.message)])
    if progress is not None:
        progress(0, total=len(rows))
    parsed, problems = _validate(rows, importer=user, progress=progress)
    if problems:
        return ImportResult(errors=problems)
    if progress is not None:
        progress(len(rows))
    return _save_all(parsed, importer=user, rows_are=rows_are, guard=guard, finish=finish)


# --- the background job ---------------------------------------------------------------------------


def _may_import(user) -> bool:
    return user.is_active and user.has_perms(["toolkit.import_ticket", "toolkit.add_ticket"])


def import_job_start(*, upload, user, rows_are: str = RowsAre.AUTO) -> Job:
    """Check the upload's size now (raises ImportRejected) and queue its import as a background job."""
    if not _may_import(user):
        raise PermissionDenied
    check_upload(upload)
    options = {"rows_are": RowsAre(rows_are).value}
    return job_create(kind=JobKind.TICKET_IMPORT, requester=user, upload=upload, options=options)


class _Progress:
    """Progress for the job's page: the total at once, then at most every half second."""

    INTERVAL = 0.5

    def __init__(self, job: Job):
        self.job, self.last = job, 0.0

    def __call__(self, done: int, total: int | None = None) -> None:
        if total is None and time.monotonic() - self.last < self.INTERVAL:
            return
        job_progress(self.job, done=done, total=total)
        self.last = time.monotonic()


def _report(result: ImportResult) -> dict:
    if not result.ok:
        return {"errors": [{"row": error.row, "message": error.message} for error in result.errors]}
    return {
        "created": len(result.tickets),
        "closed_history": result.history,
        "tickets": [ticket.number for ticket in result.tickets[:REPORT_TICKETS]],
    }


def import_job_run(job: Job) -> None:
    """The job's work (jobs.services.RUNNERS): read, check every row, save all or none, report."""
    if not _may_import(job.requester):
        job_fail(job, report={"errors": [{"row": None, "message": _("You may not import tickets.")}]})
        return
    try:
        file = job.upload.open("rb")
    except FileNotFoundError:
        # Deleted when another attempt finished the job (a message delivered twice).
        job_lock_running(job)
        raise
    with file as upload:
        result = import_diagnosis_table(
            upload=upload,
            user=job.requester,
            rows_are=job.options.get("rows_are", RowsAre.AUTO),
            progress=_Progress(job),
            guard=lambda: job_lock_running(job),
            finish=lambda result: job_finish(job, report=_report(result)),
        )
    if not result.ok:
        job_fail(job, report=_report(result))
