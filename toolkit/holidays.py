"""Official holiday schedules for the years chinesecalendar does not know yet.

Each December the State Council publishes the next year's public holidays and make-up working days
(调休); the package catches up only with a new release. Until then an admin pastes the notice's text
(or uploads an ICS calendar), checks a preview and saves it as CalendarDay rows, which toolkit/calendar.py
then takes as that year's schedule. `years_without_holidays` is what the admin shows as the gap.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar  # type: ignore[import-untyped]
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import BusinessCalendar, CalendarDay

MAX_TEXT_CHARS = 20_000
MAX_ICS_BYTES = 1_000_000
MAX_DAYS = 400  # more than a year's worth of listed days is not a holiday schedule
MAX_SPAN_DAYS = 31  # the longest run of days one holiday may cover (the longest real one is 9)
NOTE_CHARS = 100  # CalendarDay.note's max_length
IMPORT_PERMISSIONS = ("toolkit.add_calendarday", "toolkit.change_calendarday")


@dataclass(frozen=True)
class ScheduleDay:
    """One day of an imported schedule: a holiday or a (make-up) working day, with the holiday's name."""

    date: date
    is_workday: bool
    note: str


# The State Council's notice ------------------------------------------------------------------------

# "一、元旦：" or "春节:" — a holiday's name (Chinese characters and 、) before a colon starts a section.
_SECTION = re.compile(r"(?:[一二三四五六七八九十]+、)?([\u4e00-\u9fff、]{2,12})\s*[：:]")
# 2027年1月1日, 1月1日 or (after 至) 3日; the parenthesised weekday notes are removed first.
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日")
_ASIDE = re.compile(r"[（(][^）)]*[）)]")
_RANGE_JOIN = re.compile(r"\s*(?:至|到|-|－|—|–|~|～)\s*")


def _make_date(year: int, month: int, day: int, source: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(
            _("“%(text)s” is not a date of %(year)s.") % {"text": source, "year": year}
        ) from None


def _clause_dates(clause: str, *, year: int) -> list[date]:
    """Every date a clause names, a range (1月1日至3日, 12月31日至1月2日) expanded to its days."""
    matches = list(_DATE.finditer(clause))
    days: list[date] = []
    month: int | None = None
    previous: tuple[date, re.Match] | None = None
    for match in matches:
        explicit_year, month_text, day_text = match.groups()
        if month_text is not None:
            month = int(month_text)
        if month is None:
            raise ValidationError(_("“%(text)s” names a day without its month.") % {"text": clause.strip()})
        this = _make_date(int(explicit_year or year), month, int(day_text), match.group(0))
        joined = previous is not None and _RANGE_JOIN.fullmatch(clause[previous[1].end() : match.start()])
        if previous is not None and joined:
            start = previous[0]
            if this < start and explicit_year is None:
                # 12月31日至1月2日 in next year's notice: the range starts in the year before.
                start = start.replace(year=start.year - 1)
                days[-1] = start
            span = (this - start).days
            if span < 0 or span >= MAX_SPAN_DAYS:
                raise ValidationError(
                    _("“%(text)s” is not a range of at most %(max)d days.")
                    % {"text": clause[previous[1].start() : match.end()], "max": MAX_SPAN_DAYS}
                )
            days.extend(start + timedelta(days=n) for n in range(1, span + 1))
            previous = None  # a range's end does not start another range
            continue
        days.append(this)
        previous = (this, match)
    return days


def parse_state_council(text: str, *, year: int) -> list[ScheduleDay]:
    """The days of a State Council notice for `year`: holidays (…放假…) and working days (…上班).

    The text is the notice as published, e.g. "元旦：1月1日放假，共1天。春节：2月15日至23日放假调休，
    共9天。2月14日（周六）、2月28日（周六）上班。" A day without a year is in `year`; a day that cannot
    be read, or a date listed both ways, is an error naming it (nothing is saved).
    """
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            _("The text is too long (at most %(max)d characters).") % {"max": MAX_TEXT_CHARS}
        )
    text = _ASIDE.sub("", text)
    sections = list(_SECTION.finditer(text))
    if not sections:
        raise ValidationError(
            _("No holiday was found: each one starts with its name and a colon, e.g. “元旦：1月1日放假”.")
        )
    days: list[ScheduleDay] = []
    for index, section in enumerate(sections):
        name = section.group(1)
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        body = text[section.end() : end]
        for sentence in re.split(r"[。；;\n]", body):
            if "放假" in sentence:
                is_workday = False
                clause = sentence.split("放假")[0]  # the days before 放假; "共3天" after it is a count
            elif "上班" in sentence:
                is_workday, clause = True, sentence
            else:
                continue  # 与周末连休, notes
            found = _clause_dates(clause, year=year)
            if not found:
                raise ValidationError(
                    _("%(name)s: no date in “%(text)s”.") % {"name": name, "text": sentence.strip()}
                )
            note = name if not is_workday else _("%(name)s (make-up working day)") % {"name": name}
            days.extend(ScheduleDay(day, is_workday, note[:NOTE_CHARS]) for day in found)
    return _checked(days, year=year)


# ICS ------------------------------------------------------------------------------------------------

# A summary saying the day is worked: 上班, 补班, 班, "working day", "work".
_WORKDAY_SUMMARY = re.compile(r"班|\bwork(?:ing)?\b", re.IGNORECASE)


def _ics_lines(content: str) -> Iterable[str]:
    """RFC 5545 lines, folded continuation lines (starting with a space or tab) joined back."""
    current: str | None = None
    for raw in content.splitlines():
        if raw[:1] in (" ", "\t") and current is not None:
            current += raw[1:]
            continue
        if current is not None:
            yield current
        current = raw
    if current is not None:
        yield current


def _ics_date(value: str) -> tuple[date, bool]:
    """A DATE (20270101) or DATE-TIME (20270101T000000Z) value → (its date, whether it had a time)."""
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?", value.strip())
    if not match:
        raise ValidationError(_("“%(value)s” is not an iCalendar date.") % {"value": value})
    year, month, day, clock = match.groups()
    try:
        return date(int(year), int(month), int(day)), clock is not None
    except ValueError:
        raise ValidationError(_("“%(value)s” is not an iCalendar date.") % {"value": value}) from None


def _ics_text(value: str) -> str:
    return re.sub(r"\\([,;\\nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value).strip()


def parse_ics(content: str, *, year: int) -> list[ScheduleDay]:
    """The days of `year` in an ICS calendar: each all-day VEVENT is a holiday, or a working day when
    its summary says so (上班, 补班, work). Events of other years are left out."""
    if "BEGIN:VCALENDAR" not in content.upper():
        raise ValidationError(_("This is not an iCalendar (ICS) file."))
    days: list[ScheduleDay] = []
    event: dict[str, str] | None = None
    for line in _ics_lines(content):
        name, _sep, value = line.partition(":")
        key = name.split(";")[0].strip().upper()
        if key == "BEGIN" and value.strip().upper() == "VEVENT":
            event = {}
        elif key == "END" and value.strip().upper() == "VEVENT" and event is not None:
            days.extend(_event_days(event, year=year))
            event = None
        elif event is not None and key in {"DTSTART", "DTEND", "SUMMARY"}:
            event[key] = value
    return _checked(days, year=year)


def _event_days(event: dict[str, str], *, year: int) -> list[ScheduleDay]:
    if "DTSTART" not in event:
        raise ValidationError(_("An event has no start date."))
    start, _timed = _ics_date(event["DTSTART"])
    if "DTEND" in event:
        end, timed = _ics_date(event["DTEND"])
        # An all-day event's DTEND is the day after its last day; a timed one ends on its own date.
        last = end if timed else end - timedelta(days=1)
    else:
        last = start
    last = max(last, start)
    if (last - start).days >= MAX_SPAN_DAYS:
        raise ValidationError(
            _("An event from %(start)s to %(end)s is longer than %(max)d days.")
            % {"start": start, "end": last, "max": MAX_SPAN_DAYS}
        )
    summary = _ics_text(event.get("SUMMARY", ""))
    is_workday = bool(_WORKDAY_SUMMARY.search(summary))
    note = summary or (_("working day") if is_workday else _("holiday"))
    span = ((start + timedelta(days=n)) for n in range((last - start).days + 1))
    return [ScheduleDay(day, is_workday, note[:NOTE_CHARS]) for day in span if day.year == year]


# Checks, preview, save -----------------------------------------------------------------------------


def _checked(days: list[ScheduleDay], *, year: int) -> list[ScheduleDay]:
    """One row per date, sorted; a date listed both as a holiday and as a working day is an error."""
    by_date: dict[date, ScheduleDay] = {}
    for day in days:
        seen = by_date.get(day.date)
        if seen is not None and seen.is_workday != day.is_workday:
            raise ValidationError(
                _("%(date)s is listed both as a holiday and as a working day.") % {"date": day.date}
            )
        by_date.setdefault(day.date, day)
    if not by_date:
        raise ValidationError(_("No holiday or working day of %(year)s was found.") % {"year": year})
    if len(by_date) > MAX_DAYS:
        raise ValidationError(
            _("More than %(max)d days were found: is this one year's schedule?") % {"max": MAX_DAYS}
        )
    if not any(day.year == year for day in by_date):
        raise ValidationError(_("No day of %(year)s was found.") % {"year": year})
    return [by_date[day] for day in sorted(by_date)]


@dataclass(frozen=True)
class PreviewRow:
    day: ScheduleDay
    current: CalendarDay | None  # the row saving would replace, if any

    @property
    def change(self) -> str:
        if self.current is None:
            return "new"
        same = self.current.is_workday == self.day.is_workday and self.current.note == self.day.note
        return "same" if same else "changed"


def schedule_preview(*, days: list[ScheduleDay]) -> list[PreviewRow]:
    """Each day beside the exception row it would replace (one query)."""
    current = CalendarDay.objects.in_bulk([day.date for day in days], field_name="date")
    return [PreviewRow(day, current.get(day.date)) for day in days]


@transaction.atomic
def holiday_schedule_save(*, user, days: list[ScheduleDay]) -> int:
    """Save the days as CalendarDay rows (a row already on one of the dates is replaced); returns how
    many rows were written. Rows on other dates (a company day off) are kept."""
    if not user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied
    current = CalendarDay.objects.select_for_update().in_bulk([day.date for day in days], field_name="date")
    new, changed = [], []
    for day in days:
        row = current.get(day.date)
        if row is None:
            new.append(CalendarDay(date=day.date, is_workday=day.is_workday, note=day.note))
        elif (row.is_workday, row.note) != (day.is_workday, day.note):
            row.is_workday, row.note = day.is_workday, day.note
            changed.append(row)
    CalendarDay.objects.bulk_create(new)
    CalendarDay.objects.bulk_update(changed, ["is_workday", "note"])
    return len(new) + len(changed)


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def years_without_holidays(*, today: date | None = None, ahead: int = 1) -> list[int]:
    """This year and the next `ahead` years that neither chinesecalendar nor any CalendarDay row covers
    (SLA times there count Monday to Friday, holidays included). Empty when the team does not use
    mainland-China holidays."""
    calendar = BusinessCalendar.objects.filter(pk=1).first()
    if calendar is not None and not calendar.use_china_holidays:
        return []
    today = today or timezone.localdate()
    unknown = [year for year in range(today.year, today.year + ahead + 1) if not _package_knows(year)]
    if not unknown:
        return []
    covered = {day.year for day in CalendarDay.objects.filter(date__year__in=unknown).dates("date", "year")}
    return [year for year in unknown if year not in covered]


def schedule_year_default(*, today: date | None = None) -> int:
    """The year the import form proposes: the first gap, else next year."""
    gaps = years_without_holidays(today=today)
    return gaps[0] if gaps else (today or timezone.localdate()).year + 1
