"""Clock arithmetic for SLA targets: 24×7, or business hours on the team's working days.

A working day is decided by, in order: a CalendarDay exception, then the chinesecalendar package
(mainland China public holidays and make-up working days, 调休), and for a year the package does not
know yet, Monday to Friday. An admin imports that year's official schedule into CalendarDay rows
(toolkit/holidays.py; the admin's *Calendar exceptions* page shows which coming year lacks one): a
year with rows is taken as covered by them.

Business time is counted as a position on a line made of the working days laid end to end: the
position of an instant is (working days before its date) × (length of a working day) + the time
worked so far that day. Counting the working days before a date is a binary search in a sorted list
of working-day ordinals, so adding ten business days or measuring six months costs the same few steps,
never a walk minute by minute or day by day.
"""

import bisect
import logging
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone

from .choices import SlaClock

logger = logging.getLogger(__name__)

ZERO = timedelta(0)
# Working days are listed this far around the first date asked for, then extended in steps of a year.
_SPAN_DAYS = 400
_EXTEND_DAYS = 366
# Years chinese_calendar did not know, already logged (one warning per year per process).
_WARNED_YEARS: set[int] = set()


class Calendar:
    """A snapshot of the business calendar: working hours, time zone and working days.

    Load it once per operation (`Calendar.load()`) and pass it to every computation of that operation;
    it caches which dates are working days.
    """

    def __init__(
        self,
        *,
        work_start: time = time(9),
        work_end: time = time(18),
        use_china_holidays: bool = True,
        exceptions: dict[date, bool] | None = None,
        tz=None,
    ):
        self.work_start = work_start
        self.work_end = work_end
        self.use_china_holidays = use_china_holidays
        self.tz = tz or timezone.get_default_timezone()
        self.day_length = datetime.combine(date.min, work_end) - datetime.combine(date.min, work_start)
        if self.day_length <= ZERO:
            raise ValueError("The working day must end after it starts.")
        self._exceptions = dict(exceptions or {})
        self._years_with_rows = {day.year for day in self._exceptions}
        self._workday_cache: dict[date, bool] = {}
        # Sorted ordinals of the working days in [_low, _high). Positions count working days from a
        # fixed origin: _shift is how many listed days lie before it, so prepending keeps positions.
        self._ordinals: list[int] = []
        self._low: int | None = None
        self._high: int | None = None
        self._shift = 0

    @classmethod
    def load(cls) -> "Calendar":
        """The BusinessCalendar row (created with its defaults when missing) and every CalendarDay."""
        from .models import BusinessCalendar, CalendarDay

        settings_row, _created = BusinessCalendar.objects.get_or_create(pk=1)
        return cls(
            work_start=_as_time(settings_row.work_start),
            work_end=_as_time(settings_row.work_end),
            use_china_holidays=settings_row.use_china_holidays,
            exceptions=dict(CalendarDay.objects.values_list("date", "is_workday")),
        )

    # Working days -------------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        cached = self._workday_cache.get(day)
        if cached is None:
            cached = self._workday_cache[day] = self._decide(day)
        return cached

    def _decide(self, day: date) -> bool:
        if day in self._exceptions:
            return self._exceptions[day]
        if self.use_china_holidays:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:
                # Not a warning: every start reaches a year ahead, and the admin shows the gap
                # (toolkit.holidays.years_without_holidays) where someone can act on it.
                if day.year not in self._years_with_rows and day.year not in _WARNED_YEARS:
                    _WARNED_YEARS.add(day.year)
                    logger.debug(
                        "chinesecalendar has no holidays for %s: counting Monday to Friday as working "
                        "days. Import the year's schedule under Calendar exceptions in the admin.",
                        day.year,
                    )
        return day.weekday() < 5

    def _workdays_in(self, low: int, high: int) -> list[int]:
        return [o for o in range(low, high) if self.is_workday(date.fromordinal(o))]

    def _cover(self, ordinal: int) -> None:
        """Make sure the list of working days covers `ordinal`."""
        if self._low is None:
            self._low, self._high = ordinal - _SPAN_DAYS, ordinal + _SPAN_DAYS
            self._ordinals = self._workdays_in(self._low, self._high)
            return
        if ordinal < self._low:
            new_low = min(ordinal, self._low - _EXTEND_DAYS)
            earlier = self._workdays_in(new_low, self._low)
            self._ordinals[:0] = earlier
            self._shift += len(earlier)
            self._low = new_low
        elif ordinal >= self._high:
            new_high = max(ordinal + 1, self._high + _EXTEND_DAYS)
            self._ordinals.extend(self._workdays_in(self._high, new_high))
            self._high = new_high

    def _workdays_before(self, day: date) -> int:
        ordinal = day.toordinal()
        self._cover(ordinal)
        return bisect.bisect_left(self._ordinals, ordinal) - self._shift

    def _workday_number(self, number: int) -> date:
        """The date of working day `number` (counted like _workdays_before)."""
        if self._low is None:
            self._cover(timezone.localdate(timezone=self.tz).toordinal())
        while number + self._shift < 0:
            self._cover(self._low - 1)
        while number + self._shift >= len(self._ordinals):
            self._cover(self._high)
        return date.fromordinal(self._ordinals[number + self._shift])

    # Positions on the business-time line --------------------------------------------------------

    def _day_start(self, day: date) -> datetime:
        return datetime.combine(day, self.work_start, tzinfo=self.tz)

    def position(self, moment: datetime) -> timedelta:
        """Business time from the calendar's origin to `moment` (outside hours: the next working minute)."""
        local = moment.astimezone(self.tz)
        day = local.date()
        position = self.day_length * self._workdays_before(day)
        if self.is_workday(day):
            # Same tzinfo on both sides: a wall-clock difference, as working hours are wall-clock hours.
            worked = local - self._day_start(day)
            position += min(max(worked, ZERO), self.day_length)
        return position

    def moment(self, position: timedelta, *, at_day_end: bool) -> datetime:
        """The instant at `position`. A position on a day boundary is the end of the working day before
        it when at_day_end (a target that takes the whole day is due at 18:00, not at 09:00 next day),
        else the start of the next working day."""
        number, into_day = divmod(position, self.day_length)
        if into_day == ZERO and at_day_end:
            day = self._workday_number(number - 1)
            return self._day_start(day) + self.day_length
        return self._day_start(self._workday_number(number)) + into_day


def _as_time(value) -> time:
    # A TimeField read back right after get_or_create(defaults as strings) may still hold "09:00".
    return time.fromisoformat(value) if isinstance(value, str) else value


def _calendar_for(clock, calendar):
    if clock == SlaClock.ALWAYS:
        return None
    return calendar if calendar is not None else Calendar.load()


def add_clock_time(start: datetime, duration: timedelta, *, clock: str, calendar: Calendar | None = None):
    """`start` plus `duration` counted on `clock`. On business hours, a start outside working hours
    counts from the next working minute."""
    calendar = _calendar_for(clock, calendar)
    if calendar is None:
        # In UTC: aware arithmetic within one zone is wall-clock, wrong across a DST change.
        return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
    return calendar.moment(calendar.position(start) + duration, at_day_end=duration > ZERO)


def clock_time_between(
    start: datetime, end: datetime, *, clock: str, calendar: Calendar | None = None
) -> timedelta:
    """Time on `clock` from `start` to `end` (negative when `end` is earlier)."""
    calendar = _calendar_for(clock, calendar)
    if calendar is None:
        return end.astimezone(UTC) - start.astimezone(UTC)
    return calendar.position(end) - calendar.position(start)


def add_clock_minutes(start: datetime, minutes, *, clock: str, calendar: Calendar | None = None) -> datetime:
    """`start` plus `minutes` (may be fractional) on `clock`: an aware datetime."""
    return add_clock_time(start, timedelta(minutes=minutes), clock=clock, calendar=calendar)


def clock_minutes_between(
    start: datetime, end: datetime, *, clock: str, calendar: Calendar | None = None
) -> int:
    """Whole minutes on `clock` from `start` to `end` (negative when `end` is earlier)."""
    elapsed = clock_time_between(start, end, clock=clock, calendar=calendar)
    return int(elapsed / timedelta(minutes=1))
