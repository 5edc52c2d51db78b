"""Excel import of the diagnosis table: the layout diagnosis/exports.py writes, checked row by row.

The page checks the upload's size at once (bytes, unpacked size, the sheets' declared dimensions: no row
is parsed in the web request) and hands the file to a background job (jobs/). The job reads at most
TICKET_IMPORT_MAX_ROWS rows below the header — openpyxl is never asked for more, whatever the file
claims — and checks every row with ImportRowForm, the intake form's own fields and rules applied to a
spreadsheet row, collecting every problem with its Excel row number. Only a file without a problem is
saved: all of it, or none.

Saving writes what the single-ticket path writes (customers, contacts, tickets, their history, stage
changes, SLA targets with the ticket's SLA summary, search documents) in bulk, a few statements per
thousand rows, each thousand rows in a short transaction of its own: on SQLite, where one writer holds
the whole database, intake then waits for a chunk at most, never for the import. All or nothing still
holds: whatever the import creates is tagged in its history (the change reason, e.g. "import job 12"),
and a save that fails part-way deletes what was written under its tag before it reports; an attempt
whose worker died is cleaned up the same way by the job's next attempt. The rows were all checked first,
so only the unexpected (the database gone, a given number taken meanwhile) gets that far.

Ticket numbers are reserved first, in their own short transaction, so intake never gets one the import
uses. Rows that are closed history (the importer says so, or by default: a closed stage column, or
recorded longer ago than the longest SLA resolution) are saved closed with their targets met, so they
never ring a reminder.
"""

import copy
import functools
import logging
import operator
import re
import time
import unicodedata
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jobs.models import Job, JobKind
from jobs.services import (
    JobAlreadyFinished,
    job_create,
    job_fail,
    job_finish,
    job_lock_running,
    job_progress,
)
from toolkit import chapters, sla
from toolkit.calendar import Calendar, add_clock_minutes
from toolkit.choices import ProblemType, Source, Stage
from toolkit.excel import FORMULA_TRIGGERS
from toolkit.models import Contact, Customer, SlaPolicy, StageChange, Ticket, TicketNumberSequence, TicketSla
from toolkit.services import (
    TICKET_NUMBER_RE,
    format_ticket_number,
    truncate_to_minute,
    validate_occurred_at,
)

from .exports import COLUMNS, STATE_COLUMNS, TO_BE_VERIFIED
from .forms import IntakeForm, RowsAre, TicketFieldsMixin, assignable_users

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
# Beyond the document's 15 columns the import understands the export's state columns: the stage (the
# importer's own, or the export's) is read — a closed or cancelled stage makes the row closed history —
# while the SLA state and due time are recognised and left alone (the SLA engine computes them anew).
EXTRA_COLUMNS = {column.key: column.header for column in STATE_COLUMNS}
# Rows per progress report while checking rows.
BATCH_SIZE = 1000
# Rows per write transaction while saving: on SQLite the longest a concurrent writer (intake) waits.
CHUNK_ROWS = 1000
# Rows deleted per transaction when a failed import is undone (each also deletes what cascades from it).
UNDO_ROWS = 250
# Seconds between two chunks' transactions on SQLite: SQLite's busy handler, which a writer waiting for
# the lock runs, sleeps at most 100 ms between its tries.
SQLITE_GAP = 0.1
# The history change reason that tags what an import creates, so that a failed one can be undone.
JOB_TAG = "import job {}"

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


# --- text helpers -----------------------------------------------------------------------------


def _normalise(value: str) -> str:
    """For comparing headers and labels: full-width forms folded, whitespace dropped, case ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()


def _cell_text(value) -> str:
    """A cell as text: whole numbers without .0, dates to the minute, the export's formula quote removed."""
    if value is None:
        return ""
    if type(value) is not str:  # most cells are text: they skip these tests
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.strftime("%Y-%m-%d")
        value = str(value)
    text = value.strip()
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
    from openpyxl.xml.functions import iterparse  # openpyxl: loaded by an import, not at start-up

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


def _open_sheet(upload):
    # The openpyxl reader (diagnosis/xlsx_reader.py) is loaded by the first import, not by every worker.
    from .xlsx_reader import _WorkbookReader

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


# --- checking one row: the intake form's rules ------------------------------------------------------


def _choice_lookup(choices) -> dict[str, str]:
    """Normalised code and label (every language) → code."""
    lookup = {}
    for member in choices:
        lookup[_normalise(member.value)] = member.value
        for text in _in_every_language(member.label):
            lookup[_normalise(text)] = member.value
    return lookup


def _verification_markers() -> list[str]:
    """“(待验证)” / “(to be verified)” as exported, also with full-width brackets; longest first."""
    markers = set()
    for text in _in_every_language(TO_BE_VERIFIED):
        markers.update(
            {text, unicodedata.normalize("NFKC", text), text.replace("(", "（").replace(")", "）")}
        )
    return sorted((marker.casefold() for marker in markers if marker), key=len, reverse=True)


class _UserDirectory:
    """Active users found by display name (技术工程师*), user name or full name, in that order."""

    def __init__(self):
        self._indexes = ({}, {}, {})
        for user in get_user_model().objects.filter(is_active=True):
            names = (user.display_name, user.get_username(), user.get_full_name())
            for index, name in zip(self._indexes, names, strict=True):
                if name:
                    index.setdefault(_normalise(name), []).append(user)

    def find(self, text: str):
        for index in self._indexes:
            users = index.get(_normalise(text), [])
            if len(users) == 1:
                return users[0]
            if len(users) > 1:
                raise ValidationError("ambiguous", code="ambiguous")
        raise ValidationError("unknown", code="unknown")


class _PersonField(forms.Field):
    """A person named in a cell (see _UserDirectory); with `allowed`, only those user ids."""

    def __init__(self, *, people: _UserDirectory, allowed: set[int] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.people, self.allowed = people, allowed

    def to_python(self, value):
        if value in self.empty_values:
            return None
        user = self.people.find(value)
        if self.allowed is not None and user.pk not in self.allowed:
            raise ValidationError("not allowed", code="not_assignable")
        return user


class _CellDateTimeField(forms.DateTimeField):
    """A real Excel date cell, or text such as 2023-10-01 14:30, 2023/10/01 14:30 or 2023-10-0114:30, read
    in the current time zone. Nothing looser: a date without its time is refused, not read as midnight."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            naive = value
        else:
            match = _DATETIME_TEXT.match(unicodedata.normalize("NFKC", _cell_text(value)))
            try:
                if match is None or int(match["year"]) < EARLIEST_YEAR:
                    raise ValueError(value)
                naive = datetime(  # noqa: DTZ001 - made aware in the current time zone just below
                    *(int(match[part]) for part in ("year", "month", "day", "hour", "minute")),
                    int(match["second"] or 0),
                )
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return naive if timezone.is_aware(naive) else timezone.make_aware(naive)


class _TicketNumberField(forms.CharField):
    """A ticket number like TS-20231001-0001, of a real day; blank when the import is to give one."""

    def validate(self, value):
        super().validate(value)
        if not value:
            return
        match = TICKET_NUMBER_RE.match(value)
        try:
            if match is None:
                raise ValueError(value)
            day = match["day"]
            date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            raise ValidationError("invalid", code="invalid") from None


# Form field → the column it is read from.
ROW_COLUMNS = {
    "number": "number",
    "customer_name": "customer",
    "contact_name": "contact",
    "contact_details": "contact_details",
    "source": "source",
    "occurred_at": "occurred_at",
    "description": "description",
    "error_message": "error_message",
    "problem_type": "problem_type",
    "priority": "priority",
    "preliminary_judgement": "judgement",
    "owner": "owner",
    "recorded_by": "recorded_by",
    "recorded_at": "recorded_at",
    "stage": "stage",
}
_CHOICES = {"source": Source, "problem_type": ProblemType, "stage": Stage}


class ImportRowForm(TicketFieldsMixin, forms.Form):
    """One row of the table, checked by the intake form's own fields and rules.

    The customer, contact, contact details, source, description, error message, type, priority and
    judgement fields are IntakeForm's (their lengths, choices and required cells; only the priority is
    required here, as the file carries nothing to suggest one from); the times get TicketFieldsMixin's
    minute precision and no-future rule (services.validate_occurred_at); the owner must be someone the
    intake form offers (an active engineer, manager or admin). Cells are first read the way people write
    them — labels and headers in any language, real Excel dates, people by name, “(待验证)” at the end
    of a judgement — then validated.

    Built once per file and fed each row (check()): a form per row would deep-copy its fields 20,000 times.
    Problems come back as the report words them, naming the column and quoting the cell.
    """

    def __init__(self, *, importer):
        super().__init__(data={})
        self.importer = importer
        people = _UserDirectory()
        owners = set(assignable_users().values_list("pk", flat=True))
        intake = IntakeForm.base_fields

        def shared(name, **changes):
            field = copy.deepcopy(intake[name])
            for attribute, value in changes.items():
                setattr(field, attribute, value)
            return field

        self.fields = {
            "number": _TicketNumberField(required=False),
            "customer_name": shared("customer_name"),
            "contact_name": shared("contact_name"),
            "contact_details": shared("contact_details"),
            "source": shared("source"),
            "occurred_at": _CellDateTimeField(),
            "description": shared("description"),
            "error_message": shared("error_message"),
            "problem_type": shared("problem_type"),
            "priority": shared("priority", required=True),
            "preliminary_judgement": shared("preliminary_judgement"),
            "owner": _PersonField(people=people, allowed=owners),
            "recorded_by": _PersonField(people=people, required=False),
            "recorded_at": _CellDateTimeField(required=False),
            "stage": forms.ChoiceField(choices=Stage.choices, required=False),
        }
        self.labels = {name: _column_label(key) for name, key in ROW_COLUMNS.items()}
        self.lookups = {name: _choice_lookup(choices) for name, choices in _CHOICES.items()}
        self.codes = {name: {} for name in (*_CHOICES, "priority")}
        # Fields whose cleaning depends on the value alone, and values that repeat.
        repeated = ("customer_name", "contact_name", "source", "problem_type", "priority", "owner", "stage")
        self.remembered = {name: {} for name in (*repeated, "recorded_by")}
        self.cleaners = {
            name: getattr(self, f"clean_{name}") for name in self.fields if hasattr(self, f"clean_{name}")
        }
        self.markers = _verification_markers()
        self.cells, self.unverified = {}, False

    def check(self, cells: dict) -> tuple[dict | None, list[str]]:
        """This row's ticket fields, or None and its problems (every cell checked, in column order)."""
        self.cells = cells
        data = {}
        for name, key in ROW_COLUMNS.items():
            value = cells.get(key)
            data[name] = value if isinstance(value, datetime) else _cell_text(value)
        for name, codes in self.codes.items():  # a few distinct texts per column: each read once
            text = data[name]
            if text not in codes:
                codes[text] = self._code(name, text)
            data[name] = codes[text]
        data["preliminary_judgement"], self.unverified = self._judgement(data["preliminary_judgement"])
        self.data, self.is_bound, self._errors = data, True, None
        if self.is_valid():
            return self.cleaned_data, []
        return None, self._problems()

    def _clean_fields(self):
        """Django's own loop, lighter for 20,000 rows: the data are a row's values, not a request's, so
        they go to each field without a bound field and widget; and a field's cleaning of a value it has
        cleaned before is remembered (a column repeats a few customers, sources, types and people)."""
        for name, form_field in self.fields.items():
            value = self.data.get(name)
            try:
                remembered = self.remembered.get(name)
                if remembered is None:
                    cleaned = form_field.clean(value)
                elif value in remembered:
                    cleaned = remembered[value]
                else:
                    cleaned = remembered[value] = form_field.clean(value)
                self.cleaned_data[name] = cleaned
                if name in self.cleaners:
                    self.cleaned_data[name] = self.cleaners[name]()
            except ValidationError as error:
                self.add_error(name, error)

    def _code(self, name: str, text: str) -> str:
        """The choice a cell means: P1 高 or P1 High is P1; a label in any language is its code. Text
        that means none is left for the field to refuse."""
        if name == "priority":
            match = _PRIORITY_TEXT.match(unicodedata.normalize("NFKC", text).upper())
            return f"P{match['level']}" if match else text
        return self.lookups[name].get(_normalise(text), text)

    def _judgement(self, text: str) -> tuple[str, bool]:
        """A trailing to-be-verified marker sets the flag and is removed from the text."""
        folded = text.casefold()
        for marker in self.markers:
            if folded.endswith(marker):
                return text[: -len(marker)].rstrip(), True
        return text, False

    def clean_recorded_at(self):
        """As the occurrence time: to the minute, never in the future."""
        value = truncate_to_minute(self.cleaned_data["recorded_at"])
        validate_occurred_at(value)
        return value

    def clean_recorded_by(self):
        return self.cleaned_data["recorded_by"] or self.importer  # blank: the importing user

    def clean(self):
        cleaned = super().clean()
        cleaned["judgement_unverified"] = self.unverified
        return cleaned

    def _problems(self) -> list[str]:
        errors = self.errors.as_data()
        return [self._message(name, error) for name in self.fields for error in errors.get(name, [])]

    def _message(self, name: str, error: ValidationError) -> str:
        column = self.labels[name]
        quoted = {"column": column, "value": _quoted(self.cells.get(ROW_COLUMNS[name]))}
        code = error.code
        if code == "required":
            return _("%(column)s is required.") % {"column": column}
        if code == "max_length":
            return _("%(column)s is longer than %(limit)d characters.") % {
                "column": column,
                "limit": error.params["limit_value"],
            }
        if code == "invalid_choice" and name == "priority":
            return _("%(column)s: “%(value)s” is not a priority (P0, P1, P2 or P3).") % quoted
        if code == "invalid_choice":
            labels = ", ".join(str(member.label) for member in _CHOICES[name])
            return _("%(column)s: “%(value)s” is not one of: %(choices)s.") % {**quoted, "choices": labels}
        if code == "invalid" and name == "number":
            return _("%(column)s: “%(value)s” is not a ticket number like TS-20231001-0001.") % quoted
        if code == "invalid":
            return _("%(column)s: “%(value)s” is not a date and time like 2023-10-01 14:30.") % quoted
        if code == "future":
            return _("%(column)s: “%(value)s” is in the future.") % quoted
        if code == "ambiguous":
            return (
                _("%(column)s: “%(value)s” matches more than one user; write the user name instead.") % quoted
            )
        if code == "unknown":
            return _("%(column)s: there is no active user “%(value)s”.") % quoted
        if code == "not_assignable":
            return (
                _("%(column)s: “%(value)s” cannot own tickets (not an engineer, manager or admin).") % quoted
            )
        return f"{column}: {' '.join(error.messages)}"


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
    for chunk in _chunks(first_row):  # stay below every database's parameter limit
        existing.update(Ticket.objects.filter(number__in=chunk).values_list("number", flat=True))
    for number in sorted(existing, key=first_row.get):
        problems.append(
            ImportProblem(
                first_row[number],
                _("%(column)s: “%(value)s” already exists.") % {"column": label, "value": number},
            )
        )
    return problems


def _validate(rows, *, importer, progress=None) -> tuple[list[tuple[int, dict]], list[ImportProblem]]:
    form = ImportRowForm(importer=importer)
    parsed, problems = [], []
    for index, (row_number, cells) in enumerate(rows, start=1):
        fields, row_problems = form.check(cells)
        if fields is not None:
            parsed.append((row_number, fields))
        problems.extend(ImportProblem(row_number, message) for message in row_problems)
        if progress is not None and index % BATCH_SIZE == 0:
            progress(index)
    problems.extend(_check_numbers(parsed))
    problems.sort(key=lambda problem: problem.row or 0)
    return parsed, problems


# --- saving ---------------------------------------------------------------------------------------


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


def _insert_rows(model, columns: list[str], rows: list[list], *, returning: bool = False) -> list[int]:
    """INSERT rows (values in `columns` order, prepared for the database) in as few statements as the
    database allows; with `returning`, the new primary keys in the rows' order.

    PostgreSQL copies the rows in (COPY), their keys taken from the table's sequence first; SQLite runs one
    prepared INSERT for every row (executemany), or multi-row VALUES … RETURNING when the keys are
    needed. Far cheaper than bulk_create, which prepares every value of every row through its field in
    Python (and on PostgreSQL than any statement with thousands of parameters, which psycopg splits in
    Python). Names come from the model; values are parameters or COPY data.
    """
    if not rows:
        return []
    meta, quote = model._meta, connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    names = ", ".join(quote(meta.get_field(column).column) for column in columns)
    one_row = "({})".format(", ".join(["%s"] * len(columns)))
    keys = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, len(rows)],
                )
                keys = [key for (key,) in cursor.fetchall()]
                rows = [[key, *row] for key, row in zip(keys, rows, strict=True)]
                names = f"{pk}, {names}"
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        elif returning:
            size = max(1, connection.features.max_query_params // len(columns))
            for start in range(0, len(rows), size):
                batch = rows[start : start + size]
                sql = "INSERT INTO {} ({}) VALUES {} RETURNING {}".format(  # noqa: S608 - names from the model
                    table, names, ", ".join([one_row] * len(batch)), pk
                )
                cursor.execute(sql, [value for row in batch for value in row])
                keys.extend(key for (key,) in cursor.fetchall())
        else:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {one_row}", rows)  # noqa: S608
    return keys


def _row_maker(model, columns: list[str]):
    """A function turning an object into its values for `columns`: attributes as they are (the import
    builds them with the right types), date-times adapted as Django would write them (on SQLite, text in
    UTC; psycopg adapts them itself)."""
    fields = [model._meta.get_field(column) for column in columns]
    values = operator.attrgetter(*(model_field.attname for model_field in fields))
    adapt = connection.ops.adapt_datetimefield_value
    dates = [i for i, model_field in enumerate(fields) if model_field.get_internal_type() == "DateTimeField"]
    if connection.vendor == "postgresql" or not dates:
        return values

    def row(obj):
        adapted = list(values(obj))
        for i in dates:
            adapted[i] = adapt(adapted[i])
        return adapted

    return row


@functools.cache
def _init_fields(model) -> list[tuple[str, object]]:
    """(attribute name, default) of each column; a default computed per object (now) is left to the caller."""
    return [
        (f.attname, None if f.has_default() and callable(f.default) else f.get_default())
        for f in model._meta.concrete_fields
    ]


def _new(model, values: dict):
    """model(**values) by attribute name, built the quick way (positional, as Django builds a loaded row):
    an import makes tens of thousands. Fields left out take their (constant) default."""
    return model(*[values.get(name, default) for name, default in _init_fields(model)])


def _tagged(model, tag: str) -> list[int]:
    """Primary keys of the rows created under `tag` (their "created" history row carries it)."""
    created = model.history.filter(history_type="+", history_change_reason=tag)
    return sorted(set(created.values_list("id", flat=True)))


@dataclass
class _Customers:
    customers: dict = field(default_factory=dict)  # name → Customer
    contacts: dict = field(default_factory=dict)  # (customer id, name) → Contact
    details: dict = field(default_factory=dict)  # (customer id, name) → the first details given


def _customers_save(plans: list[_Row], *, importer, tag: str, guard) -> _Customers:
    """The customers and contacts the rows name, creating the missing ones (as customer_get_or_create and
    contact_get_or_create do), in one short transaction; what it creates is tagged. Details an existing
    contact lacks are filled in at the very end (_fill_contact_details), with the import's success."""
    people = _Customers()
    names = {plan.fields["customer_name"] for plan in plans}
    with transaction.atomic():
        guard()
        people.customers = _customers(names, importer=importer, tag=tag)
        for plan in plans:
            key = (people.customers[plan.fields["customer_name"]].pk, plan.fields["contact_name"])
            # The first row with details gives them, as a later row fills in what an earlier one lacked.
            if not people.details.get(key):
                people.details[key] = plan.fields["contact_details"]
        people.contacts = _contacts(people.details, importer=importer, tag=tag)
    return people


def _customers(names: set[str], *, importer, tag: str) -> dict[str, Customer]:
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
        Customer.history.bulk_history_create(
            created, batch_size=BATCH_SIZE, default_user=importer, default_change_reason=tag
        )
    return found


def _contacts(details_by_key: dict[tuple[int, str], str], *, importer, tag: str) -> dict:
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
        Contact.history.bulk_history_create(
            created.values(), batch_size=BATCH_SIZE, default_user=importer, default_change_reason=tag
        )
    return found


class _Writer:
    """Writes the rows' tickets chunk by chunk: everything ticket_create and sla_start write for each.

    prepare() does the work that needs no database (tickets, their SLA targets and summary, history and
    stage-change rows) before the chunk's transaction opens; write() inserts them and the search
    documents, a handful of statements, so the transaction holds the database only that long.
    """

    TICKET_COLUMNS = [f.name for f in Ticket._meta.concrete_fields if not f.primary_key]
    SLA_COLUMNS = [f.name for f in TicketSla._meta.concrete_fields if not f.primary_key]
    STAGE_COLUMNS = ["ticket", "from_stage", "to_stage", "reason", "changed_by", "changed_at"]

    def __init__(self, *, people: _Customers, importer, now, tag: str):
        self.people, self.importer, self.now, self.tag = people, importer, now, tag
        self.calendar = Calendar.load()
        self.policies = {policy.priority: policy for policy in SlaPolicy.objects.all()}
        self.defaults = _ticket_defaults()
        self.ticket_row = _row_maker(Ticket, self.TICKET_COLUMNS)
        self.sla_row = _row_maker(TicketSla, self.SLA_COLUMNS)
        history = Ticket.history.model
        self.history_columns = [f.name for f in history._meta.concrete_fields if not f.primary_key]
        self.history_row = _row_maker(history, self.history_columns)
        self.reasons = {
            Stage.CLOSED: _("Imported as closed history."),
            Stage.CANCELLED: _("Imported as cancelled."),
        }
        self.moved = _("Imported in this stage.")

    def prepare(self, plans: list[_Row]) -> list[Ticket]:
        tickets = []
        for plan in plans:
            fields = plan.fields
            customer_id = self.people.customers[fields["customer_name"]].pk
            tickets.append(
                _new(
                    Ticket,
                    {
                        **self.defaults,
                        "number": plan.number,
                        "customer_id": customer_id,
                        "contact_id": self.people.contacts[(customer_id, fields["contact_name"])].pk,
                        "contact_details": fields["contact_details"],
                        "source": fields["source"],
                        "occurred_at": fields["occurred_at"],
                        "description": fields["description"],
                        "error_message": fields["error_message"],
                        "problem_type": fields["problem_type"],
                        "priority": fields["priority"],
                        "preliminary_judgement": fields["preliminary_judgement"],
                        "judgement_unverified": fields["judgement_unverified"],
                        "owner_id": fields["owner"].pk,
                        "recorded_by_id": fields["recorded_by"].pk,
                        "recorded_at": plan.recorded_at,
                        "updated_at": self.now,
                        "stage": plan.stage,
                    },
                )
            )
        # Targets and the ticket's SLA summary before the ticket exists: it is inserted with them.
        # Closed rows get their targets met at once: the scan never looks at them.
        planned = sla.sla_plan_new(tickets, now=self.now, calendar=self.calendar, policies=self.policies)
        for ticket, slas in zip(tickets, planned, strict=True):
            ticket.planned_slas = slas
        return tickets

    def write(self, tickets: list[Ticket]) -> None:
        keys = _insert_rows(
            Ticket, self.TICKET_COLUMNS, [self.ticket_row(t) for t in tickets], returning=True
        )
        for ticket, key in zip(tickets, keys, strict=True):
            ticket.pk = key
        # The "created" history rows (what simple_history writes on save), naming who imported, and
        # carrying the import's tag.
        history = []
        for ticket in tickets:
            ticket.history_date, ticket.history_user_id = self.now, self.importer.pk
            ticket.history_type, ticket.history_change_reason = "+", self.tag
            history.append(self.history_row(ticket))
        _insert_rows(Ticket.history.model, self.history_columns, history)
        # A ticket imported past 新建 went there when it was recorded (its stage history says so, and
        # reopening a closed one resumes its clock from then).
        adapt, by = connection.ops.adapt_datetimefield_value, self.importer.pk
        changes = [
            [t.pk, Stage.NEW, t.stage, self.reasons.get(t.stage, self.moved), by, adapt(t.recorded_at)]
            for t in tickets
            if t.stage != Stage.NEW
        ]
        _insert_rows(StageChange, self.STAGE_COLUMNS, changes)
        targets = []
        for ticket in tickets:
            for target in ticket.planned_slas:
                target.ticket_id = ticket.pk
                targets.append(self.sla_row(target))
        _insert_rows(TicketSla, self.SLA_COLUMNS, targets)
        tickets_index(tickets)


def _fill_contact_details(people: _Customers, *, importer) -> None:
    """Details an existing contact lacked, given in the file (as contact_get_or_create fills them in)."""
    filled = []
    for key, contact in people.contacts.items():
        if not contact.details and people.details[key]:
            contact.details = people.details[key]
            filled.append(contact)
    if filled:
        Contact.objects.bulk_update(filled, ["details"], batch_size=BATCH_SIZE)
        Contact.history.bulk_history_create(filled, batch_size=BATCH_SIZE, update=True, default_user=importer)


def _insert(plans: list[_Row], *, importer, now, tag: str, guard, finish) -> list[Ticket]:
    """Everything the single-ticket path (toolkit.services.ticket_create) writes, for all rows, in short
    transactions: the customers and contacts, each chunk of tickets, then the end (`finish`)."""
    people = _customers_save(plans, importer=importer, tag=tag, guard=guard)
    writer = _Writer(people=people, importer=importer, now=now, tag=tag)
    tickets, committed = [], 0.0
    for chunk in _chunks(plans, CHUNK_ROWS):
        prepared = writer.prepare(chunk)  # before the transaction: it holds the database only to write
        _let_writers_in(since=committed)
        with transaction.atomic():
            guard()
            writer.write(prepared)
        committed = time.monotonic()
        tickets.extend(prepared)
    with transaction.atomic():
        guard()
        _fill_contact_details(people, importer=importer)
        finish(tickets)
    return tickets


def _let_writers_in(*, since: float) -> None:
    """On SQLite, before the next of a series of write transactions: a writer kept waiting (intake) looks
    for the lock again at most every 100 ms, so leave it a gap at least that long since the last commit,
    or it may miss every gap until the series ends."""
    if connection.vendor == "sqlite":
        time.sleep(max(0.0, SQLITE_GAP - (time.monotonic() - since)))


def tickets_index(tickets) -> None:
    """Bulk-created tickets send no post_save: chapter 6 indexes them for search (toolkit.chapters)."""
    chapters.provided("index_tickets")(tickets)


def _delete_tagged(model, ids: list[int]) -> int:
    """Delete these rows (with what cascades from them) and their history; returns how many stayed.

    One that something now protects (e.g. the log of who viewed a ticket's contact details, or a ticket
    that now uses a contact) stays; it is logged.
    """
    kept = set()
    try:
        with transaction.atomic():
            model.objects.filter(pk__in=ids).delete()
    except (ProtectedError, RestrictedError):
        for pk in ids:
            try:
                with transaction.atomic():
                    model.objects.filter(pk=pk).delete()
            except (ProtectedError, RestrictedError):
                kept.add(pk)
    model.history.filter(id__in=set(ids) - kept).delete()
    return len(kept)


def _undo(tag: str, *, guard) -> None:
    """Delete what an import wrote under `tag`: its tickets (with their targets, stage changes, search
    documents and history), then the contacts and customers it created that no ticket (nor, for a
    customer, contact) uses by now. Short transactions, each guarded: a later attempt of the job that
    took over does its own cleaning."""
    kept, committed = 0, 0.0
    for chunk in _chunks(_tagged(Ticket, tag), UNDO_ROWS):
        _let_writers_in(since=committed)
        with transaction.atomic():
            guard()
            kept += _delete_tagged(Ticket, chunk)
        committed = time.monotonic()
    for model in (Contact, Customer):
        for chunk in _chunks(_tagged(model, tag), UNDO_ROWS):
            _let_writers_in(since=committed)
            with transaction.atomic():
                guard()
                unused = model.objects.filter(pk__in=chunk, tickets__isnull=True)
                if model is Customer:
                    unused = unused.filter(contacts__isnull=True)
                kept += _delete_tagged(model, list(unused.values_list("pk", flat=True)))
            committed = time.monotonic()
    if kept:
        logger.warning("Import %s: %d rows could not be removed, others use them by now", tag, kept)


def _save_all(parsed, *, importer, rows_are: str, tag: str, guard=None, finish=None) -> ImportResult:
    """Create every ticket, chunk by chunk; if anything fails, delete what was created and say so.

    `guard` runs first in every transaction that writes and `finish(result)` last in the final one (the
    job's exactly-once check, and its move to done).
    """
    guard = guard or (lambda: None)
    now = timezone.now()
    plans = _plan_rows(parsed, rows_are=rows_are, now=now)
    history = sum(plan.stage == Stage.CLOSED for plan in plans)
    result = ImportResult(history=history)

    def done(tickets):
        result.tickets = tickets
        if finish is not None:
            finish(result)

    try:
        _reserve_numbers(plans)
        _insert(plans, importer=importer, now=now, tag=tag, guard=guard, finish=done)
    except JobAlreadyFinished:
        raise  # another attempt took the job over: what was written is its to remove
    except Exception as error:
        logger.exception("Ticket import failed while saving; removing what it wrote")
        try:
            _undo(tag, guard=guard)
        except JobAlreadyFinished:
            raise
        except Exception:
            # A job's next attempt finds the tag and removes what is left (an import without a job
            # leaves it: this is logged).
            logger.exception("Could not remove what the failed import %s wrote", tag)
        if not isinstance(error, DatabaseError):  # IntegrityError included: e.g. a number taken meanwhile
            raise
        reason = _("the database refused the data")
        message = _("Could not save: %(reason)s. Nothing was imported.") % {"reason": reason}
        return ImportResult(errors=[ImportProblem(None, message)])
    return result


def import_diagnosis_table(
    *, upload, user, rows_are: str = RowsAre.AUTO, progress=None, guard=None, finish=None, tag=None
) -> ImportResult:
    """Check every row of the uploaded table; save all of its tickets, or none and say why.

    `progress(done, total=None)` hears how far the check has got; `guard` and `finish` see _save_all.
    `tag` names what this import creates (a job's own, so that its next attempt can remove what a dead
    one left); by default one of its own.
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
    tag = tag or JOB_TAG.format(uuid.uuid4().hex[:12])
    return _save_all(parsed, importer=user, rows_are=rows_are, tag=tag, guard=guard, finish=finish)


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
    tag, guard = JOB_TAG.format(job.pk), lambda: job_lock_running(job)
    if job.attempts > 1:  # an earlier attempt may have died part-way: remove what it wrote first
        _undo(tag, guard=guard)
    with file as upload:
        result = import_diagnosis_table(
            upload=upload,
            user=job.requester,
            rows_are=job.options.get("rows_are", RowsAre.AUTO),
            progress=_Progress(job),
            guard=guard,
            finish=lambda result: job_finish(job, report=_report(result)),
            tag=tag,
        )
    if not result.ok:
        job_fail(job, report=_report(result))


def import_job_undo(job: Job) -> None:
    """What a job given up on (jobs.services.UNDO) leaves behind: nothing it wrote."""
    _undo(JOB_TAG.format(job.pk), guard=lambda: job_lock_running(job))
