"""A year chinesecalendar does not know (2027 on 2026-11-27): the admin shows the gap, imports the State
Council's schedule (pasted text or ICS) after a preview, and the SLA calendar then uses it without a
log line (issue 17 item 4)."""

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from toolkit import calendar as calendar_module
from toolkit.calendar import Calendar, add_clock_minutes
from toolkit.holidays import (
    ScheduleDay,
    holiday_schedule_save,
    parse_ics,
    parse_state_council,
    years_without_holidays,
)
from toolkit.models import BusinessCalendar, CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 11, 27, 10, tzinfo=SHANGHAI)
NOTICE = "元旦：1月1日放假，共1天。春节：2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）上班。"
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//holidays//CN\r
BEGIN:VEVENT\r
UID:1\r
DTSTART;VALUE=DATE:20270101\r
DTEND;VALUE=DATE:20270102\r
SUMMARY:元旦 休\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2\r
DTSTART;VALUE=DATE:20270215\r
DTEND;VALUE=DATE:20270224\r
SUMMARY:春节\r
  假期\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3\r
DTSTART;VALUE=DATE:20270214\r
SUMMARY:春节 补班\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:4\r
DTSTART;VALUE=DATE:20261001\r
DTEND;VALUE=DATE:20261008\r
SUMMARY:国庆节\r
END:VEVENT\r
END:VCALENDAR\r
"""


def days_of(schedule):
    return {(day.date, day.is_workday) for day in schedule}


# Parsing the notice --------------------------------------------------------------------------------


def test_the_notice_gives_its_holidays_and_make_up_working_days():
    schedule = parse_state_council(NOTICE, year=2027)
    holidays = [day.date for day in schedule if not day.is_workday]
    workdays = [day.date for day in schedule if day.is_workday]
    assert holidays == [date(2027, 1, 1), *(date(2027, 2, d) for d in range(15, 24))]
    assert workdays == [date(2027, 2, 14), date(2027, 2, 28)]
    assert {day.note[:2] for day in schedule} == {"元旦", "春节"}
    assert [day.date for day in schedule] == sorted(day.date for day in schedule)


def test_the_notice_with_numbered_sections_ranges_across_months_and_years():
    text = """一、元旦：2026年12月31日（周四）至2027年1月2日（周六）放假调休，共3天。
    二、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
    三、国庆节、中秋节：9月30日至10月7日放假调休，共8天。"""
    schedule = parse_state_council(text, year=2027)
    assert len(schedule) == 3 + 5 + 2 + 8
    assert (date(2026, 12, 31), False) in days_of(schedule)
    assert (date(2027, 4, 25), True) in days_of(schedule)
    assert {day.note for day in schedule if day.date == date(2027, 10, 7)} == {"国庆节、中秋节"}
    # Without the years: 12月31日至1月2日 in the 2027 notice starts in 2026.
    short = parse_state_council("元旦：12月31日至1月2日放假调休，共3天。", year=2027)
    assert [day.date for day in short] == [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "No holiday was found"),
        ("明年照常放假。", "No holiday was found"),
        ("元旦：放假一天。", "no date"),
        ("元旦：1日放假。", "without its month"),
        ("春节：2月30日放假。", "is not a date"),
        ("春节：2月1日至3月20日放假。", "at most 31 days"),
        ("春节：2月15日放假。2月15日上班。", "both as a holiday and as a working day"),
        ("元旦：2025年1月1日放假。", "No day of 2027"),
    ],
)
def test_a_notice_that_cannot_be_read_is_refused_with_the_reason(text, message):
    with pytest.raises(ValidationError) as error, translation.override("en"):
        parse_state_council(text, year=2027)
    assert message in " ".join(error.value.messages)


# Parsing ICS ---------------------------------------------------------------------------------------


def test_ics_all_day_events_of_the_year_with_make_up_days_by_their_title():
    schedule = parse_ics(ICS, year=2027)
    assert days_of(schedule) == {
        (date(2027, 1, 1), False),
        *((date(2027, 2, d), False) for d in range(15, 24)),  # DTEND is the day after the last
        (date(2027, 2, 14), True),  # 补班
    }
    assert {day.note for day in schedule if day.date == date(2027, 2, 16)} == {"春节 假期"}  # unfolded


@translation.override("en")
def test_a_file_that_is_not_ics_or_has_no_day_of_the_year_is_refused():
    with pytest.raises(ValidationError, match="not an iCalendar"):
        parse_ics("date,holiday\n2027-01-01,元旦\n", year=2027)
    with pytest.raises(ValidationError, match="No holiday or working day of 2031"):
        parse_ics(ICS, year=2031)
    with pytest.raises(ValidationError, match="not an iCalendar date"):
        parse_ics(ICS.replace("20270101", "2027-01-01"), year=2027)


# The gap, the save and the calendar ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_gap_is_the_coming_year_the_package_and_the_rows_do_not_cover():
    assert years_without_holidays(today=date(2026, 11, 27)) == [2027]
    assert years_without_holidays(today=date(2026, 11, 27), ahead=2) == [2027, 2028]
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert years_without_holidays(today=date(2026, 11, 27)) == []
    BusinessCalendar.objects.update_or_create(pk=1, defaults={"use_china_holidays": False})
    assert years_without_holidays(today=date(2026, 11, 27), ahead=2) == []


@pytest.mark.django_db
def test_saving_needs_the_calendar_permissions(engineer, manager):
    days = parse_state_council(NOTICE, year=2027)
    for user in (engineer, manager):
        with pytest.raises(PermissionDenied):
            holiday_schedule_save(user=user, days=days)
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_saving_replaces_rows_on_the_same_dates_and_keeps_the_others(admin_user):
    CalendarDay.objects.create(date=date(2027, 2, 15), is_workday=True, note="typo")
    CalendarDay.objects.create(date=date(2027, 3, 8), is_workday=False, note="公司年会")
    written = holiday_schedule_save(user=admin_user, days=parse_state_council(NOTICE, year=2027))
    assert written == 12
    rows = dict(CalendarDay.objects.values_list("date", "is_workday"))
    assert rows[date(2027, 2, 15)] is False
    assert rows[date(2027, 3, 8)] is False  # the company day off stays
    assert len(rows) == 13
    # Saving the same schedule again writes nothing.
    assert holiday_schedule_save(user=admin_user, days=parse_state_council(NOTICE, year=2027)) == 0


@pytest.mark.django_db
def test_the_calendar_uses_an_imported_year_without_a_log_line(admin_user, caplog, monkeypatch):
    monkeypatch.setattr(calendar_module, "_WARNED_YEARS", set())
    holiday_schedule_save(user=admin_user, days=parse_state_council(NOTICE, year=2027))
    calendar = Calendar.load()
    with caplog.at_level(logging.DEBUG, logger="toolkit.calendar"):
        assert not calendar.is_workday(date(2027, 2, 15))  # a Monday in the Spring Festival
        assert calendar.is_workday(date(2027, 2, 14))  # a Sunday worked (调休)
        assert calendar.is_workday(date(2027, 3, 1))  # an ordinary Monday
        # Fri 2027-02-12 17:00 + 2 working hours → Sun 2027-02-14 10:00 (the make-up day).
        start = datetime(2027, 2, 12, 17, tzinfo=SHANGHAI)
        assert add_clock_minutes(start, 120, clock="business", calendar=calendar) == datetime(
            2027, 2, 14, 10, tzinfo=SHANGHAI
        )
    # The span computed reaches 2028 (no rows): only that year is noted, at debug level only.
    notes = [(r.levelno, r.args[0]) for r in caplog.records if "chinesecalendar" in r.getMessage()]
    assert notes == [(logging.DEBUG, 2028)]


# The admin pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(("language", "words"), [("zh-hans", "2027"), ("en", "No holiday schedule for 2027")])
def test_the_exceptions_list_shows_the_gap_and_offers_the_import(admin_client_role, language, words):
    admin_client_role.cookies["django_language"] = language
    response = admin_client_role.get(
        reverse("admin:toolkit_calendarday_changelist"), HTTP_ACCEPT_LANGUAGE=language
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert words in page
    assert reverse("admin:toolkit_calendarday_import") in page
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    page = admin_client_role.get(reverse("admin:toolkit_calendarday_changelist")).content.decode()
    assert "holiday-gap" not in page


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_import_previews_then_saves_the_pasted_notice(admin_client_role):
    url = reverse("admin:toolkit_calendarday_import")
    form = admin_client_role.get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["year"] == 2027

    preview = admin_client_role.post(url, {"year": "2027", "text": NOTICE})
    assert preview.status_code == 200
    assert len(preview.context["preview"]) == 12
    assert (preview.context["holiday_count"], preview.context["workday_count"]) == (10, 2)
    assert "2027-02-23" in preview.content.decode()
    assert not CalendarDay.objects.exists()  # a preview saves nothing

    confirm = preview.context["confirm"]
    saved = admin_client_role.post(
        url,
        {"year": "2027", "kind": confirm["kind"].value(), "content": confirm["content"].value(), "save": "1"},
    )
    assert saved.status_code == 302
    assert CalendarDay.objects.filter(date__year=2027).count() == 12
    assert years_without_holidays() == []


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_import_of_an_ics_file(admin_client_role):
    url = reverse("admin:toolkit_calendarday_import")
    upload = SimpleUploadedFile("holidays.ics", ICS.encode(), content_type="text/calendar")
    preview = admin_client_role.post(url, {"year": "2027", "ics_file": upload})
    assert preview.status_code == 200
    assert {(row.day.date, row.day.is_workday) for row in preview.context["preview"]} == days_of(
        parse_ics(ICS, year=2027)
    )
    confirm = preview.context["confirm"]
    assert confirm["kind"].value() == "ics"
    admin_client_role.post(
        url, {"year": "2027", "kind": "ics", "content": confirm["content"].value(), "save": "1"}
    )
    assert CalendarDay.objects.get(date=date(2027, 2, 14)).is_workday is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": "2027", "text": "春节：2月30日放假。"}, "“2月30日” is not a date of 2027."),
        ({"year": "2027"}, "Paste the notice"),
        ({"year": "1900", "text": NOTICE}, "2000"),
        ({"year": "2027", "kind": "text", "content": "nonsense", "save": "1"}, "No holiday was found"),
    ],
)
def test_bad_input_is_answered_in_the_page_and_nothing_is_saved(admin_client_role, data, message):
    admin_client_role.cookies["django_language"] = "en"
    response = admin_client_role.post(
        reverse("admin:toolkit_calendarday_import"), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "preview" not in response.context
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_bad_input_is_translated(admin_client_role):
    response = admin_client_role.post(
        reverse("admin:toolkit_calendarday_import"), {"year": "2027", "text": "元旦：放假。"}
    )
    assert "元旦:“放假”中没有日期。" in response.content.decode()


@pytest.mark.django_db
def test_only_calendar_admins_import(client, manager):
    manager.is_staff = True  # a staff account without the calendar's add/change permissions
    manager.save()
    client.force_login(manager)
    url = reverse("admin:toolkit_calendarday_import")
    assert client.get(url).status_code == 403
    response = client.post(url, {"year": "2027", "kind": "text", "content": NOTICE, "save": "1"})
    assert response.status_code == 403
    assert not CalendarDay.objects.exists()


def test_schedule_day_is_a_value():
    assert ScheduleDay(date(2027, 1, 1), False, "元旦") == ScheduleDay(date(2027, 1, 1), False, "元旦")
