"""Excel import of the diagnosis table: the layout diagnosis/exports.py writes, checked row by row.

Every row is read and validated first and every problem is collected with its Excel row number.
Only when the whole file is clean are the tickets saved, all in one transaction: a file is imported
completely or not at all.
"""

import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import load_workbook

from toolkit.choices import Priority, ProblemType, Source
from toolkit.excel import FORMULA_TRIGGERS
from toolkit.models import Contact, Customer, Ticket
from toolkit.services import (
    TICKET_NUMBER_RE,
    contact_get_or_create,
    customer_get_or_create,
    ticket_create,
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

    @property
    def ok(self) -> bool:
        return not self.errors


class _FileRejected(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


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


def _header_lookup() -> dict[str, str]:
    """Normalised header text (every language) → column key."""
    lookup = {}
    for key, column in zip(KEYS, COLUMNS, strict=True):
        for text in _in_every_language(column.header):
            lookup[_normalise(text)] = key
    return lookup


def _column_label(key: str) -> str:
    return str(COLUMNS[KEYS.index(key)].header)


def _check_archive(upload) -> None:
    """Size limits before openpyxl unpacks anything."""
    if upload.size is not None and upload.size > settings.TICKET_IMPORT_MAX_BYTES:
        raise _FileRejected(
            _("The file is larger than %(limit)s.")
            % {"limit": filesizeformat(settings.TICKET_IMPORT_MAX_BYTES)}
        )
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _FileRejected(_("The file is not an Excel .xlsx file.")) from None
    if unpacked > settings.TICKET_IMPORT_MAX_BYTES * MAX_UNPACK_RATIO:
        raise _FileRejected(
            _("The file is larger than %(limit)s.")
            % {"limit": filesizeformat(settings.TICKET_IMPORT_MAX_BYTES)}
        )
    upload.seek(0)


def _open_sheet(upload):
    _check_archive(upload)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl errors alike: the bytes are not a workbook.
        logger.info(
            "Rejected import upload %r: not an xlsx workbook", getattr(upload, "name", ""), exc_info=True
        )
        raise _FileRejected(_("The file is not an Excel .xlsx file.")) from None
    sheet = workbook.active if hasattr(workbook.active, "iter_rows") else None
    if sheet is None and workbook.worksheets:
        sheet = workbook.worksheets[0]
    if sheet is None:
        workbook.close()
        raise _FileRejected(_("The file has no worksheet."))
    # Some writers store wrong dimensions; read what is really there.
    sheet.reset_dimensions()
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
    raise _FileRejected(" ".join(parts))


def _read_rows(sheet, header_row: int, positions: dict[str, int]) -> list[tuple[int, dict]]:
    """(Excel row number, {key: raw value}) for every non-blank row below the header."""
    width = max(positions.values()) + 1
    rows = []
    for row_number, values in enumerate(
        sheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True), start=header_row + 1
    ):
        values = tuple(values) + (None,) * (width - len(values))
        # A row with nothing but its 序号 (a pre-numbered template) is blank too.
        if _is_blank(value for index, value in enumerate(values) if index != positions.get("no")):
            continue
        if len(rows) >= settings.TICKET_IMPORT_MAX_ROWS:
            raise _FileRejected(
                _("The file has more than %(limit)d ticket rows; split it into smaller files.")
                % {"limit": settings.TICKET_IMPORT_MAX_ROWS}
            )
        rows.append((row_number, {key: values[index] for key, index in positions.items()}))
    return rows


def _read_upload(upload) -> list[tuple[int, dict]]:
    workbook, sheet = _open_sheet(upload)
    try:
        lookup = _header_lookup()
        header_row, header_values = _find_header(sheet, lookup)
        positions = _map_headers(header_values, lookup)
        rows = _read_rows(sheet, header_row, positions)
    except _FileRejected:
        raise
    except Exception:  # A sheet that fails to parse part-way is as unreadable as a broken zip.
        logger.info("Rejected import upload %r: unreadable sheet", getattr(upload, "name", ""), exc_info=True)
        raise _FileRejected(_("The file is not an Excel .xlsx file.")) from None
    finally:
        workbook.close()
    if not rows:
        raise _FileRejected(_("The file contains no tickets."))
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


def _validate(rows, *, importer) -> tuple[list[tuple[int, dict]], list[ImportProblem]]:
    context = _RowContext(importer=importer)
    parsed, problems = [], []
    for row_number, cells in rows:
        fields, row_problems = _parse_row(cells, context)
        parsed.append((row_number, fields))
        problems.extend(ImportProblem(row_number, message) for message in row_problems)
    problems.extend(_check_numbers(parsed))
    problems.sort(key=lambda problem: problem.row or 0)
    return parsed, problems


# --- saving ---------------------------------------------------------------------------------------


def _ticket_defaults() -> dict:
    """Priority-suggestion inputs the file does not carry: the model defaults, and no suggestion."""
    return {
        "impact_scope": Ticket._meta.get_field("impact_scope").get_default(),
        "business_urgency": Ticket._meta.get_field("business_urgency").get_default(),
        "suggested_priority": "",
    }


class _RowSaver:
    """Creates one row's ticket; customers and contacts met earlier in the file are not looked up again."""

    def __init__(self, importer):
        self._importer = importer
        self._customers = {}
        self._contacts = {}

    def _customer(self, name: str) -> Customer:
        if name not in self._customers:
            self._customers[name] = customer_get_or_create(name=name)
        return self._customers[name]

    def _contact(self, customer: Customer, name: str, details: str) -> Contact:
        key = (customer.pk, name)
        contact = self._contacts.get(key)
        # Asking the service again lets a later row fill in details the contact still lacks.
        if contact is None or (details and not contact.details):
            contact = self._contacts[key] = contact_get_or_create(
                customer=customer, name=name, details=details
            )
        return contact

    def save(self, fields: dict) -> Ticket:
        customer = self._customer(fields["customer_name"])
        contact = self._contact(customer, fields["contact_name"], fields["contact_details"])
        judgement, unverified = fields["judgement"]
        return ticket_create(
            by=self._importer,
            recorded_by=fields["recorded_by"],
            number=fields["number"],
            recorded_at=fields["recorded_at"],
            customer=customer,
            contact=contact,
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
            **_ticket_defaults(),
        )


def _save_all(parsed, *, importer) -> ImportResult:
    """Create every ticket in one transaction; if any save fails, none is kept.

    Rows that bring their own number go first: claiming a number moves the day's sequence past it,
    so a number generated for a later row of the same day cannot collide with one in the file.
    """
    current_row = None
    try:
        with transaction.atomic():
            saver, created = _RowSaver(importer), {}
            for row_number, fields in sorted(parsed, key=lambda item: not item[1]["number"]):
                current_row = row_number
                created[row_number] = saver.save(fields)
            tickets = [created[row_number] for row_number, _fields in parsed]
    except ValidationError as error:
        reason = "; ".join(error.messages)
    except DatabaseError:
        logger.exception("Ticket import failed while saving row %s", current_row)
        reason = _("the database refused the data")
    else:
        return ImportResult(tickets=tickets)
    message = _("Could not save: %(reason)s. Nothing was imported.") % {"reason": reason}
    return ImportResult(errors=[ImportProblem(current_row, message)])


def import_diagnosis_table(*, upload, user) -> ImportResult:
    """Check every row of the uploaded table; save all of its tickets, or none and say why."""
    try:
        rows = _read_upload(upload)
    except _FileRejected as rejected:
        return ImportResult(errors=[ImportProblem(None, rejected.message)])
    parsed, problems = _validate(rows, importer=user)
    if problems:
        return ImportResult(errors=problems)
    return _save_all(parsed, importer=user)
