"""Clock arithmetic for SLA targets: 24×7 and business hours on mainland China working days.

Every expected datetime below was worked out by hand from the calendar (State Council holiday
notices) and checked against chinese_calendar's data in the `test_package_data_*` tests, never copied
from toolkit.calendar's output. Long spans are checked against a count made in the test itself.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from toolkit import calendar as calendar_module
from toolkit.calendar import Calendar, add_clock_minutes, add_clock_time, clock_minutes_between
from toolkit.choices import SlaClock
from toolkit.models import BusinessCalendar, CalendarDay

SH = ZoneInfo("Asia/Shanghai")
ALWAYS = SlaClock.ALWAYS
BUSINESS = SlaClock.BUSINESS
DAY = 9 * 60  # minutes in a 09:00–18:00 working day


@pytest.fixture(autouse=True)
def _shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


def at(y, m, d, h=0, minute=0, second=0):
    return datetime(y, m, d, h, minute, second, tzinfo=SH)


def add(start, minutes, cal=None):
    return add_clock_minutes(start, minutes, clock=BUSINESS, calendar=cal or Calendar())


def between(start, end, cal=None):
    return clock_minutes_between(start, end, clock=BUSINESS, calendar=cal or Calendar())


def package_or_weekday(day: date) -> bool:
    """The rule the module documents, written out independently: package, else Monday to Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def nth_workday(first: date, n: int) -> date:
    """The n-th working day counting `first` itself as 1 when it is one, found by walking day by day."""
    day, count = first, 0
    while True:
        if package_or_weekday(day):
            count += 1
            if count == n:
                return day
        day += timedelta(days=1)


def workdays_in(first: date, last: date) -> int:
    """Working days in [first, last), walking day by day."""
    return sum(package_or_weekday(first + timedelta(days=i)) for i in range((last - first).days))


# The package data the expectations rely on --------------------------------------------------------


def test_package_data_national_day_2025():
    # Oct 1–8 off (National Day + Mid-Autumn), make-up working days Sun Sep 28 and Sat Oct 11.
    assert chinese_calendar.is_workday(date(2025, 9, 28))
    assert chinese_calendar.is_workday(date(2025, 9, 30))
    for day in range(1, 9):
        assert not chinese_calendar.is_workday(date(2025, 10, day)), day
    assert chinese_calendar.is_workday(date(2025, 10, 9))
    assert chinese_calendar.is_workday(date(2025, 10, 11))
    assert not chinese_calendar.is_workday(date(2025, 9, 27))
    assert not chinese_calendar.is_workday(date(2025, 10, 12))


def test_package_data_spring_festival_2026():
    # Feb 15 (Sun) – Feb 23 (Mon) off, make-up working days Sat Feb 14 and Sat Feb 28.
    holidays = chinese_calendar.get_holidays(date(2026, 2, 1), date(2026, 3, 1), include_weekends=False)
    # include_weekends=False drops ordinary weekends only: the Sundays and Saturday of the break stay.
    assert holidays == [date(2026, 2, d) for d in range(15, 24)]
    for day in range(15, 24):
        assert not chinese_calendar.is_workday(date(2026, 2, day)), day
    assert chinese_calendar.is_workday(date(2026, 2, 14))
    assert chinese_calendar.is_workday(date(2026, 2, 24))
    assert chinese_calendar.is_workday(date(2026, 2, 28))
    assert not chinese_calendar.is_workday(date(2026, 3, 1))


def test_package_data_june_2025_is_plain_weeks():
    # Dragon Boat 2025 ended Mon Jun 2; Jun 9–20 are two ordinary Mon–Fri weeks.
    for day in range(9, 21):
        d = date(2025, 6, day)
        assert chinese_calendar.is_workday(d) == (d.weekday() < 5), d


def test_package_does_not_know_2031():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 1, 6))


# 24×7 -------------------------------------------------------------------------------------------


def test_always_adds_plain_minutes():
    assert add_clock_minutes(at(2025, 6, 10, 10), 15, clock=ALWAYS) == at(2025, 6, 10, 10, 15)


def test_always_runs_across_midnight_weekends_and_holidays():
    assert add_clock_minutes(at(2025, 6, 13, 23, 50), 15, clock=ALWAYS) == at(2025, 6, 14, 0, 5)
    assert add_clock_minutes(at(2025, 9, 30, 16), 24 * 60, clock=ALWAYS) == at(2025, 10, 1, 16)


def test_always_with_a_utc_start_is_the_same_instant():
    # 15:50 UTC is 23:50 in Shanghai (UTC+8 all year: no DST since 1991).
    start = datetime(2025, 6, 10, 15, 50, tzinfo=UTC)
    assert add_clock_minutes(start, 15, clock=ALWAYS) == at(2025, 6, 11, 0, 5)
    assert clock_minutes_between(start, at(2025, 6, 11, 0, 5), clock=ALWAYS) == 15


def test_always_minutes_between():
    assert clock_minutes_between(at(2025, 6, 13, 17), at(2025, 6, 16, 10), clock=ALWAYS) == 65 * 60
    assert clock_minutes_between(at(2025, 6, 16, 10), at(2025, 6, 13, 17), clock=ALWAYS) == -65 * 60
    # Whole minutes, truncated.
    assert clock_minutes_between(at(2025, 6, 10, 10), at(2025, 6, 10, 10, 1, 30), clock=ALWAYS) == 1


def test_always_does_not_touch_the_database():
    # No django_db mark: a Calendar.load() here would fail.
    assert add_clock_time(at(2025, 6, 10, 10), timedelta(hours=1), clock=ALWAYS) == at(2025, 6, 10, 11)


def test_always_counts_real_elapsed_time_for_a_start_in_a_dst_zone():
    # Not reachable with Django's UTC datetimes or Asia/Shanghai, but real time it must be:
    # New York springs forward at 02:00 on 2025-03-09, so 3 real hours after 00:30 EST is 04:30 EDT.
    new_york = ZoneInfo("America/New_York")
    start = datetime(2025, 3, 9, 0, 30, tzinfo=new_york)
    assert add_clock_minutes(start, 180, clock=ALWAYS) == datetime(2025, 3, 9, 4, 30, tzinfo=new_york)


# Business hours 09:00–18:00, ordinary weeks -------------------------------------------------------


def test_business_within_a_day():
    assert add(at(2025, 6, 10, 10), 15) == at(2025, 6, 10, 10, 15)
    assert add(at(2025, 6, 10, 9), 8 * 60) == at(2025, 6, 10, 17)


def test_business_after_day_end_continues_next_working_day():
    assert add(at(2025, 6, 10, 17, 30), 60) == at(2025, 6, 11, 9, 30)


def test_business_friday_evening_continues_on_monday():
    assert add(at(2025, 6, 13, 17), 120) == at(2025, 6, 16, 10)


@pytest.mark.parametrize(
    "start",
    [
        at(2025, 6, 10, 22),  # Tuesday night
        at(2025, 6, 11, 0),  # midnight
        at(2025, 6, 11, 6),  # early Wednesday
        at(2025, 6, 10, 18),  # exactly day end
    ],
)
def test_business_start_outside_hours_counts_from_next_nine(start):
    assert add(start, 30) == at(2025, 6, 11, 9, 30)


@pytest.mark.parametrize("start", [at(2025, 6, 14, 11), at(2025, 6, 15, 23, 59), at(2025, 6, 13, 19)])
def test_business_start_on_weekend_counts_from_monday_nine(start):
    assert add(start, 30) == at(2025, 6, 16, 9, 30)


def test_business_whole_day_ends_at_six_same_day():
    assert add(at(2025, 6, 10, 9), DAY) == at(2025, 6, 10, 18)
    # Same from before opening, and from a weekend (Monday's whole day).
    assert add(at(2025, 6, 10, 7), DAY) == at(2025, 6, 10, 18)
    assert add(at(2025, 6, 14, 12), DAY) == at(2025, 6, 16, 18)
    # Landing exactly on day end from mid-day.
    assert add(at(2025, 6, 10, 17, 30), 30) == at(2025, 6, 10, 18)


def test_business_ten_days():
    # Mon Jun 9 09:00 + 10 working days → end of Fri Jun 20.
    assert add(at(2025, 6, 9, 9), 10 * DAY) == at(2025, 6, 20, 18)
    # Half-way through a day: +10 days lands at the same time of day two weeks later.
    assert add(at(2025, 6, 9, 13), 10 * DAY) == at(2025, 6, 23, 13)


def test_business_zero_minutes():
    assert add(at(2025, 6, 10, 12), 0) == at(2025, 6, 10, 12)
    assert add(at(2025, 6, 14, 12), 0) == at(2025, 6, 16, 9)


def test_business_fractional_minutes():
    assert add(at(2025, 6, 10, 17, 59), 1.5) == at(2025, 6, 11, 9, 0, 30)


def test_business_negative_minutes_go_back():
    assert add(at(2025, 6, 10, 9, 30), -60) == at(2025, 6, 9, 17, 30)
    assert add(at(2025, 6, 16, 10), -120) == at(2025, 6, 13, 17)


def test_business_utc_start():
    # 09:30 UTC is 17:30 in Shanghai.
    assert add(datetime(2025, 6, 10, 9, 30, tzinfo=UTC), 60) == at(2025, 6, 11, 9, 30)


# National Day 2025 and Spring Festival 2026 --------------------------------------------------------


def test_national_day_holiday_is_skipped():
    # Tue Sep 30 16:00: 2 h that day, Oct 1–8 off, 2 h on Thu Oct 9.
    assert add(at(2025, 9, 30, 16), 4 * 60) == at(2025, 10, 9, 11)


def test_start_during_national_day_counts_from_october_9():
    assert add(at(2025, 10, 3, 10), 30) == at(2025, 10, 9, 9, 30)


def test_make_up_saturday_is_a_working_day():
    assert add(at(2025, 10, 10, 17), 120) == at(2025, 10, 11, 10)


def test_make_up_sunday_is_a_working_day():
    # Fri Sep 26 17:00 → Sat 27 off → Sun Sep 28 (调休) 10:00.
    assert add(at(2025, 9, 26, 17), 120) == at(2025, 9, 28, 10)


def test_national_day_minutes_between():
    # Sep 30 16:00 → Oct 9 11:00: 120 + 120.
    assert between(at(2025, 9, 30, 16), at(2025, 10, 9, 11)) == 240
    # Sat Oct 11 is a working day; Sun Oct 12 is not.
    assert between(at(2025, 10, 10, 9), at(2025, 10, 13, 9)) == 2 * DAY


def test_spring_festival_2026():
    # Fri Feb 13 17:00 → Sat Feb 14 (调休) 10:00.
    assert add(at(2026, 2, 13, 17), 120) == at(2026, 2, 14, 10)
    # Sat Feb 14 17:00: 1 h, then Feb 15–23 off, 1 h on Tue Feb 24.
    assert add(at(2026, 2, 14, 17), 120) == at(2026, 2, 24, 10)
    # Fri Feb 27 17:00 → Sat Feb 28 (调休) 10:00.
    assert add(at(2026, 2, 27, 17), 120) == at(2026, 2, 28, 10)
    # Sat Feb 28 17:00 → Sun Mar 1 off → Mon Mar 2 10:00.
    assert add(at(2026, 2, 28, 17), 120) == at(2026, 3, 2, 10)
    # A whole day from the last day before the break ends that day, not after the holiday.
    assert add(at(2026, 2, 14, 9), DAY) == at(2026, 2, 14, 18)
    assert add(at(2026, 2, 14, 9), DAY + 1) == at(2026, 2, 24, 9, 1)


def test_spring_festival_2026_minutes_between():
    # Working days Feb 13, Feb 14, Feb 24 between Fri 13 09:00 and Wed 25 09:00.
    assert between(at(2026, 2, 13, 9), at(2026, 2, 25, 9)) == 3 * DAY
    # Entirely inside the break.
    assert between(at(2026, 2, 16, 10), at(2026, 2, 20, 15)) == 0


# CalendarDay exceptions and the BusinessCalendar row ------------------------------------------------


@pytest.mark.django_db
def test_company_day_off_overrides_a_working_day():
    CalendarDay.objects.create(date=date(2025, 6, 11), is_workday=False, note="司庆")
    cal = Calendar.load()
    assert add(at(2025, 6, 10, 17), 120, cal) == at(2025, 6, 12, 10)


@pytest.mark.django_db
def test_extra_working_saturday():
    CalendarDay.objects.create(date=date(2025, 6, 14), is_workday=True, note="加班")
    cal = Calendar.load()
    assert add(at(2025, 6, 13, 17), 120, cal) == at(2025, 6, 14, 10)
    assert between(at(2025, 6, 13, 9), at(2025, 6, 16, 9), cal) == 2 * DAY


@pytest.mark.django_db
def test_exceptions_override_the_package_both_ways():
    CalendarDay.objects.create(date=date(2025, 10, 8), is_workday=True)  # package: holiday
    CalendarDay.objects.create(date=date(2025, 10, 11), is_workday=False)  # package: 调休 working day
    cal = Calendar.load()
    assert add(at(2025, 9, 30, 16), 240, cal) == at(2025, 10, 8, 11)
    assert add(at(2025, 10, 10, 17), 120, cal) == at(2025, 10, 13, 10)


@pytest.mark.django_db
def test_business_clock_without_a_calendar_loads_it():
    CalendarDay.objects.create(date=date(2025, 6, 11), is_workday=False)
    assert add_clock_minutes(at(2025, 6, 10, 17), 120, clock=BUSINESS) == at(2025, 6, 12, 10)
    assert clock_minutes_between(at(2025, 6, 10, 17), at(2025, 6, 12, 10), clock=BUSINESS) == 120


@pytest.mark.django_db
def test_load_creates_the_default_row_when_missing():
    BusinessCalendar.objects.all().delete()
    cal = Calendar.load()
    assert (cal.work_start, cal.work_end, cal.use_china_holidays) == (time(9), time(18), True)
    assert BusinessCalendar.objects.filter(pk=1).exists()
    assert add(at(2025, 6, 10, 17, 30), 60, cal) == at(2025, 6, 11, 9, 30)


@pytest.mark.django_db
def test_changed_working_hours_change_results():
    BusinessCalendar.objects.update_or_create(
        pk=1, defaults={"work_start": time(8, 30), "work_end": time(17, 30)}
    )
    cal = Calendar.load()
    assert add(at(2025, 6, 10, 8), 60, cal) == at(2025, 6, 10, 9, 30)  # 09:00–18:00: 10:00
    assert add(at(2025, 6, 10, 17), 60, cal) == at(2025, 6, 11, 9)  # 09:00–18:00: 18:00
    assert add(at(2025, 6, 10, 8, 30), DAY, cal) == at(2025, 6, 10, 17, 30)
    assert between(at(2025, 6, 10, 17), at(2025, 6, 11, 9), cal) == 60


@pytest.mark.django_db
def test_shorter_working_day():
    BusinessCalendar.objects.update_or_create(pk=1, defaults={"work_start": time(10), "work_end": time(16)})
    cal = Calendar.load()
    # Six-hour days: 5400 minutes are 15 working days, Mon Jun 9 → Fri Jun 27 16:00.
    assert add(at(2025, 6, 9, 10), 5400, cal) == at(2025, 6, 27, 16)
    assert between(at(2025, 6, 13, 15), at(2025, 6, 16, 11), cal) == 120


@pytest.mark.django_db
def test_china_holidays_switched_off_means_monday_to_friday():
    BusinessCalendar.objects.update_or_create(pk=1, defaults={"use_china_holidays": False})
    cal = Calendar.load()
    assert add(at(2025, 9, 30, 16), 240, cal) == at(2025, 10, 1, 11)
    assert add(at(2025, 10, 10, 17), 120, cal) == at(2025, 10, 13, 10)  # no 调休 Saturday


def test_working_day_must_end_after_it_starts():
    with pytest.raises(ValueError):
        Calendar(work_start=time(18), work_end=time(9))
    with pytest.raises(ValueError):
        Calendar(work_start=time(9), work_end=time(9))


# A year the package does not know ------------------------------------------------------------------


def test_unknown_year_falls_back_to_monday_to_friday():
    # 2031-01-06 is a Monday; Fri Jan 10 17:00 + 2 h → Mon Jan 13 10:00.
    assert add(at(2031, 1, 10, 17), 120) == at(2031, 1, 13, 10)
    # The fallback does not know New Year's Day: Tue 2030-12-31 17:00 + 2 h → Wed 2031-01-01 10:00.
    assert add(at(2030, 12, 31, 17), 120) == at(2031, 1, 1, 10)
    assert between(at(2031, 1, 3, 9), at(2031, 1, 7, 9)) == 2 * DAY


@pytest.mark.django_db
def test_unknown_year_exception_rows_still_apply():
    CalendarDay.objects.create(date=date(2031, 1, 1), is_workday=False, note="元旦")
    cal = Calendar.load()
    assert add(at(2030, 12, 31, 17), 120, cal) == at(2031, 1, 2, 10)


def test_unknown_year_is_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(calendar_module, "_WARNED_YEARS", set())
    with caplog.at_level(logging.DEBUG, logger="toolkit.calendar"):
        cal = Calendar()
        add(at(2031, 6, 10, 10), 60, cal)
        add(at(2031, 6, 10, 10), 60, Calendar())
    years = [r.args[0] for r in caplog.records if "chinesecalendar has no holidays" in r.getMessage()]
    assert 2031 in years
    assert len(years) == len(set(years))


# clock_minutes_between ------------------------------------------------------------------------------


def test_between_over_a_weekend_counts_working_minutes_only():
    assert between(at(2025, 6, 13, 17), at(2025, 6, 16, 10)) == 120


def test_between_is_negative_when_end_is_earlier():
    assert between(at(2025, 6, 16, 10), at(2025, 6, 13, 17)) == -120


def test_between_from_outside_hours():
    assert between(at(2025, 6, 14, 12), at(2025, 6, 16, 10)) == 60  # Saturday → Monday
    assert between(at(2025, 6, 10, 20), at(2025, 6, 11, 9, 30)) == 30  # evening → next morning
    assert between(at(2025, 6, 11, 6), at(2025, 6, 11, 9, 30)) == 30  # early morning
    assert between(at(2025, 6, 14, 10), at(2025, 6, 15, 15)) == 0  # both in the weekend
    assert between(at(2025, 6, 13, 18), at(2025, 6, 16, 9)) == 0  # Friday close → Monday open
    assert between(at(2025, 6, 10, 10), at(2025, 6, 10, 20)) == 8 * 60  # end after hours


def test_between_truncates_to_whole_minutes():
    assert between(at(2025, 6, 10, 10), at(2025, 6, 10, 10, 1, 30)) == 1
    assert between(at(2025, 6, 10, 10, 1, 30), at(2025, 6, 10, 10)) == -1


@pytest.mark.parametrize(
    ("start", "minutes"),
    [
        (at(2025, 6, 10, 10), 15),
        (at(2025, 6, 10, 17, 30), 60),
        (at(2025, 6, 13, 17), 120),
        (at(2025, 6, 14, 11), DAY),
        (at(2025, 9, 30, 16), 240),
        (at(2026, 2, 14, 17), 5 * DAY + 7),
        (at(2030, 12, 31, 17), 3 * DAY),
    ],
)
def test_add_then_between_round_trips(start, minutes):
    cal = Calendar()
    assert between(start, add(start, minutes, cal), cal) == minutes


# Long spans -----------------------------------------------------------------------------------------


def test_two_hundred_business_days():
    start = date(2025, 6, 9)
    expected_day = nth_workday(start, 200)
    assert expected_day == date(2026, 3, 26)  # counted by hand month by month, too
    assert add(at(2025, 6, 9, 9), 200 * DAY) == datetime.combine(expected_day, time(18), tzinfo=SH)
    assert add(at(2025, 6, 9, 12), 200 * DAY) == datetime.combine(
        nth_workday(start, 201), time(12), tzinfo=SH
    )


def test_two_hundred_business_days_into_an_unknown_year():
    # Starts in 2026 (package data), ends in 2027 (Monday to Friday fallback).
    start = date(2026, 9, 1)
    expected_day = nth_workday(start, 200)
    assert expected_day.year == 2027
    assert add(at(2026, 9, 1, 9), 200 * DAY) == datetime.combine(expected_day, time(18), tzinfo=SH)


def test_long_span_minutes_between_matches_a_day_count():
    first, last = date(2024, 1, 1), date(2026, 12, 31)
    expected = workdays_in(first, last) * DAY
    assert between(at(2024, 1, 1, 9), at(2026, 12, 31, 9)) == expected
    assert between(at(2026, 12, 31, 9), at(2024, 1, 1, 9)) == -expected


def test_one_calendar_reused_far_before_and_after_its_first_date():
    # The first question sets the listed range around 2026-06; later ones extend it on both sides.
    cal = Calendar()
    assert add(at(2026, 6, 1, 9), 60, cal) == at(2026, 6, 1, 10)
    assert (
        between(at(2021, 1, 4, 9), at(2022, 1, 4, 9), cal)
        == workdays_in(date(2021, 1, 4), date(2022, 1, 4)) * DAY
    )
    assert add(at(2021, 1, 4, 9), 200 * DAY, cal) == datetime.combine(
        nth_workday(date(2021, 1, 4), 200), time(18), tzinfo=SH
    )
    assert (
        between(at(2021, 1, 4, 9), at(2028, 1, 4, 9), cal)
        == workdays_in(date(2021, 1, 4), date(2028, 1, 4)) * DAY
    )
    # Still right near where it started.
    assert add(at(2026, 2, 14, 17), 120, cal) == at(2026, 2, 24, 10)
