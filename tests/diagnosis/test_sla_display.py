"""SLA state in the diagnosis table (filter, sort by time left, badge) and on the detail page.

SLA data is written directly (Ticket.sla_state / sla_due_at, TicketSla rows): these tests are about
showing it, not about the engine that keeps it current.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from diagnosis.templatetags.diagnosis_tags import sla_time_text
from tests.factories import TicketFactory
from toolkit.choices import SlaClock, SlaState, SlaTargetKind, Stage
from toolkit.models import TicketSla
from toolkit.notifications import format_minutes

LIST_URL = reverse("diagnosis:list")


def _in_english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _rows(response):
    assert response.status_code == 200
    return [ticket.number for ticket in response.context["page"].object_list]


def _numbers(response):
    return set(_rows(response))


def _text(html):
    """The visible text of a piece of HTML, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _sla(
    ticket,
    target,
    *,
    started_at,
    minutes,
    state=SlaState.OK,
    met_at=None,
    paused_since=None,
    clock=SlaClock.ALWAYS,
):
    due_at = started_at + timedelta(minutes=minutes)
    return TicketSla.objects.create(
        ticket=ticket,
        target=target,
        started_at=started_at,
        target_minutes=minutes,
        clock=clock,
        warn50_at=started_at + timedelta(minutes=minutes // 2),
        warn80_at=started_at + timedelta(minutes=minutes * 4 // 5),
        due_at=due_at,
        met_at=met_at,
        paused_since=paused_since,
        state=state,
        next_check_at=None if met_at or paused_since else due_at,
    )


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def tickets(db, now):
    """ok (2 h 5 min left), at risk (20 min left), breached (overdue by 3 h), met (no running due time),
    and one without any SLA target."""
    return {
        "ok": TicketFactory(
            priority="P2", sla_state=SlaState.OK, sla_due_at=now + timedelta(hours=2, minutes=5)
        ),
        "at_risk": TicketFactory(
            priority="P1", sla_state=SlaState.AT_RISK, sla_due_at=now + timedelta(minutes=20)
        ),
        "breached": TicketFactory(
            priority="P0", sla_state=SlaState.BREACHED, sla_due_at=now - timedelta(hours=3)
        ),
        "met": TicketFactory(priority="P1", sla_state=SlaState.OK, sla_due_at=None, stage=Stage.EVALUATION),
        "none": TicketFactory(priority="P3", sla_state="", sla_due_at=None),
    }


def _expect(tickets, *keys):
    return {tickets[key].number for key in keys}


# ---------------------------------------------------------------- filter


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ok", {"ok", "met"}),
        ("at_risk", {"at_risk"}),
        ("breached", {"breached"}),
        ("", {"ok", "at_risk", "breached", "met", "none"}),
    ],
)
def test_sla_filter(manager_client, tickets, value, expected):
    response = manager_client.get(LIST_URL, {"sla": value})
    assert _numbers(response) == _expect(tickets, *expected)
    assert not response.context["filter"].errors


def test_sla_filter_combines_with_the_others(manager_client, tickets):
    response = manager_client.get(LIST_URL, {"sla": "ok", "priority": "P2"})
    assert _numbers(response) == _expect(tickets, "ok")


def test_bad_sla_value_gives_a_message_and_other_filters_still_apply(manager_client, tickets):
    response = manager_client.get(LIST_URL, {"sla": "late", "priority": "P0"})
    assert response.status_code == 200
    assert "sla" in response.context["filter"].errors
    assert 'id="filter-errors"' in response.content.decode()
    assert _numbers(response) == _expect(tickets, "breached")


def test_filter_form_offers_sla_and_the_time_left_sorts(manager_client, tickets):
    page = _in_english(manager_client).get(LIST_URL).content.decode()
    assert '<select name="sla"' in page
    for value in ("ok", "at_risk", "breached"):
        assert f'<option value="{value}"' in page
    assert '<option value="sla_due">SLA time left (least first)</option>' in page
    assert '<option value="-sla_due">SLA time left (most first)</option>' in page


def test_export_takes_the_sla_filter_too(manager_client, tickets):
    from diagnosis.selectors import ticket_list

    assert {t.number for t in ticket_list(data={"sla": "breached"}).qs} == _expect(tickets, "breached")


# ---------------------------------------------------------------- sort by time left


def test_sort_least_time_left_first_and_no_running_due_time_last(manager_client, tickets):
    rows = _rows(manager_client.get(LIST_URL, {"sort": "sla_due"}))
    assert rows[:3] == [tickets["breached"].number, tickets["at_risk"].number, tickets["ok"].number]
    # met and no-SLA tickets have no due time: last, in id order
    assert rows[3:] == [tickets["met"].number, tickets["none"].number]


def test_sort_most_time_left_first_still_puts_no_due_time_last(manager_client, tickets):
    rows = _rows(manager_client.get(LIST_URL, {"sort": "-sla_due"}))
    assert rows[:3] == [tickets["ok"].number, tickets["at_risk"].number, tickets["breached"].number]
    assert rows[3:] == [tickets["none"].number, tickets["met"].number]


def test_sort_by_time_left_within_a_state(manager_client, tickets, now):
    sooner = TicketFactory(sla_state=SlaState.BREACHED, sla_due_at=now - timedelta(hours=5))
    rows = _rows(manager_client.get(LIST_URL, {"sla": "breached", "sort": "sla_due"}))
    assert rows == [sooner.number, tickets["breached"].number]


# ---------------------------------------------------------------- badge in the table


def _priority_cell(page, ticket):
    """The text of the priority cell (the 11th column) of the ticket's row, then of its SLA state cell
    (the 17th: the document's 15 columns, then stage, SLA state, SLA due)."""
    row = re.search(
        rf"<tr>\s*<td[^>]*>(?:(?!</tr>).)*?<td[^>]*><a href=\"[^\"]*\">{ticket.number}</a>.*?</tr>",
        page,
        re.S,
    )
    assert row, ticket.number
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert len(cells) == 18
    return f"{_text(cells[10]).strip()} {_text(cells[16]).strip()}".strip()


def test_table_badges_in_chinese(manager_client, tickets):
    page = manager_client.get(LIST_URL).content.decode()
    with translation.override("zh-hans"):
        labels = {state: str(state.label) for state in SlaState}
        left = "剩 " + format_minutes(125)
        overdue = "超时 " + format_minutes(180)
        twenty = "剩 " + format_minutes(20)
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels.values()), labels
    assert _priority_cell(page, tickets["ok"]) == f"P2 {labels[SlaState.OK]} {left}"
    assert _priority_cell(page, tickets["at_risk"]) == f"P1 {labels[SlaState.AT_RISK]} {twenty}"
    assert _priority_cell(page, tickets["breached"]) == f"P0 {labels[SlaState.BREACHED]} {overdue}"
    assert _priority_cell(page, tickets["met"]) == f"P1 {labels[SlaState.OK]}"
    assert _priority_cell(page, tickets["none"]) == "P3"
    assert 'data-sla="breached"' in page and "text-bg-danger" in page


def test_table_badges_in_english(manager_client, tickets):
    page = _in_english(manager_client).get(LIST_URL).content.decode()
    assert _priority_cell(page, tickets["ok"]) == "P2 On track 2 h 5 min left"
    assert _priority_cell(page, tickets["at_risk"]) == "P1 At risk 20 min left"
    assert _priority_cell(page, tickets["breached"]) == "P0 Breached overdue by 3 h"
    assert _priority_cell(page, tickets["met"]) == "P1 On track"
    assert _priority_cell(page, tickets["none"]) == "P3"


def test_state_still_ok_but_due_time_passed_reads_overdue(manager_client, now):
    # Between two engine scans the state may lag; the time text comes from sla_due_at and now.
    late = TicketFactory(priority="P1", sla_state=SlaState.OK, sla_due_at=now - timedelta(minutes=15))
    page = _in_english(manager_client).get(LIST_URL).content.decode()
    assert _priority_cell(page, late) == "P1 On track overdue by 15 min"


def test_time_text_rounds_to_minutes_and_never_says_zero(now):
    with translation.override("en"):
        assert sla_time_text(None, now) == ""
        assert sla_time_text(now + timedelta(seconds=10), now) == "1 min left"
        assert sla_time_text(now, now) == "overdue by 1 min"
        assert sla_time_text(now + timedelta(days=3, hours=4, seconds=20), now) == "3 d 4 h left"
        assert sla_time_text(now - timedelta(minutes=59, seconds=40), now) == "overdue by 1 h"
    with translation.override("zh-hans"):
        assert sla_time_text(now + timedelta(minutes=15), now) == "剩 " + format_minutes(15)
        assert sla_time_text(now - timedelta(minutes=15), now).startswith("超时 ")


@pytest.mark.parametrize("rows", [1, 30])
def test_table_query_count_unchanged_with_sla_data(manager_client, now, rows, django_assert_num_queries):
    owners = [TicketFactory().owner for _ in range(3)]
    states = list(SlaState)
    for index in range(rows):
        ticket = TicketFactory(
            owner=owners[index % 3],
            sla_state=states[index % 3],
            sla_due_at=now + timedelta(minutes=30 * (index - 5)),
        )
        _sla(ticket, SlaTargetKind.RESPONSE, started_at=now - timedelta(hours=1), minutes=60)
    # Same as test_views.test_table_query_count_does_not_grow_with_rows: the badge reads the row only.
    with django_assert_num_queries(12):
        response = manager_client.get(LIST_URL + "?priority=P1&sort=sla_due")
    assert response.status_code == 200
    assert 'class="sla-badge' in response.content.decode()


# ---------------------------------------------------------------- detail page


@pytest.fixture
def ticket_with_slas(db, now):
    ticket = TicketFactory(priority="P1", sla_state=SlaState.AT_RISK, sla_due_at=now + timedelta(minutes=50))
    started = now - timedelta(hours=7, minutes=10)
    _sla(
        ticket,
        SlaTargetKind.RESOLUTION,
        started_at=started,
        minutes=8 * 60,
        state=SlaState.AT_RISK,
    )
    _sla(
        ticket,
        SlaTargetKind.RESPONSE,
        started_at=started,
        minutes=60,
        met_at=started + timedelta(minutes=75),
        state=SlaState.BREACHED,
    )
    return ticket


def _sla_card(page):
    card = re.search(r'<section class="card mb-3" id="sla">.*?</section>', page, re.S)
    assert card
    return card.group(0)


def test_detail_card_lists_both_targets_in_english(manager_client, ticket_with_slas, now):
    page = _in_english(manager_client).get(ticket_with_slas.get_absolute_url()).content.decode()
    card = _sla_card(page)
    response_at = card.index('data-target="response"')
    resolution_at = card.index('data-target="resolution"')
    assert response_at < resolution_at  # first response first
    response, resolution = _text(card[response_at:resolution_at]), _text(card[resolution_at:])

    started = now - timedelta(hours=7, minutes=10)
    local = timezone.localtime
    assert "First response" in response
    assert "within 1 h · 24×7" in response
    assert local(started + timedelta(minutes=60)).strftime("%Y-%m-%d %H:%M") in response
    assert f"{local(started + timedelta(minutes=75)):%Y-%m-%d %H:%M} late" in response
    assert "Breached" in response and "left" not in response and "overdue" not in response

    assert "Resolution" in resolution
    assert "within 8 h · 24×7" in resolution
    assert local(started + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") in resolution
    assert "At risk 50 min left" in resolution
    assert "Met at" not in resolution


def test_detail_card_in_chinese_with_a_paused_target(manager_client, now):
    ticket = TicketFactory(stage=Stage.ON_HOLD, sla_state=SlaState.OK, sla_due_at=None)
    paused = now - timedelta(minutes=30)
    _sla(
        ticket,
        SlaTargetKind.RESPONSE,
        started_at=now - timedelta(hours=2),
        minutes=60,
        met_at=now - timedelta(hours=1, minutes=30),
    )
    _sla(
        ticket,
        SlaTargetKind.RESOLUTION,
        started_at=now - timedelta(hours=2),
        minutes=480,
        paused_since=paused,
    )
    card = _text(_sla_card(manager_client.get(ticket.get_absolute_url()).content.decode()))
    with translation.override("zh-hans"):
        expected = [str(SlaTargetKind.RESPONSE.label), str(SlaTargetKind.RESOLUTION.label)]
    assert all(label in card for label in expected)
    assert timezone.localtime(paused).strftime("%Y-%m-%d %H:%M") in card
    assert "剩" not in card and "超时" not in card  # paused: no running time
    assert "On hold" not in card and "First response" not in card  # translated


def test_detail_card_says_when_a_target_is_paused_in_english(manager_client, now):
    ticket = TicketFactory(stage=Stage.ON_HOLD, sla_state=SlaState.OK, sla_due_at=None)
    paused = now - timedelta(minutes=30)
    _sla(
        ticket,
        SlaTargetKind.RESOLUTION,
        started_at=now - timedelta(hours=2),
        minutes=480,
        paused_since=paused,
    )
    card = _text(_sla_card(_in_english(manager_client).get(ticket.get_absolute_url()).content.decode()))
    assert f"On hold: clock paused since {timezone.localtime(paused):%Y-%m-%d %H:%M}" in card
    assert "On track" in card and "left" not in card


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (240, "4 h"),
        (540, "1 working day"),
        (1620, "3 working days"),
        (5400, "10 working days"),
        (660, "1 working day 2 h"),
    ],
)
def test_business_hours_targets_read_as_working_days(manager_client, now, minutes, expected):
    ticket = TicketFactory(sla_state=SlaState.OK, sla_due_at=now + timedelta(days=3))
    _sla(ticket, SlaTargetKind.RESOLUTION, started_at=now, minutes=minutes, clock=SlaClock.BUSINESS)
    card = _text(_sla_card(_in_english(manager_client).get(ticket.get_absolute_url()).content.decode()))
    assert f"within {expected} · Business hours" in card


def test_engine_bookkeeping_is_not_shown_as_someone_s_change(manager_client, engineer, now):
    ticket = TicketFactory(sla_state=SlaState.OK, sla_due_at=now + timedelta(hours=1))
    ticket.sla_state, ticket.sla_due_at = SlaState.BREACHED, now - timedelta(minutes=5)
    ticket.preliminary_judgement = "数据库连接池耗尽"
    ticket._history_user = engineer
    ticket.save()
    page = _in_english(manager_client).get(ticket.get_absolute_url()).content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "数据库连接池耗尽" in timeline
    assert "SLA" not in _text(timeline)


def test_detail_without_sla_targets_says_so(manager_client):
    ticket = TicketFactory()
    page = _in_english(manager_client).get(ticket.get_absolute_url()).content.decode()
    assert "No SLA targets for this ticket." in _sla_card(page)


def test_detail_reads_all_targets_in_one_query(manager_client, ticket_with_slas):
    plain = TicketFactory()
    with CaptureQueriesContext(connection) as without:
        manager_client.get(plain.get_absolute_url())
    with CaptureQueriesContext(connection) as with_targets:
        manager_client.get(ticket_with_slas.get_absolute_url())
    assert len(with_targets) == len(without)
    # One query lists the targets; the evaluation card only reads them inside its one summary query.
    assert (
        sum(query["sql"].startswith('SELECT "toolkit_ticketsla".') for query in with_targets.captured_queries)
        == 1
    )
