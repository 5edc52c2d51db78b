"""Bulk actions on the diagnosis table (issue 14 §4): per role, all or nothing, one history entry each."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory, UserFactory
from toolkit.choices import Priority, Stage
from toolkit.models import StageChange, Ticket

BULK = reverse("diagnosis:bulk")
LIST = reverse("diagnosis:list")


def _post(client, tickets=(), **data):
    data.setdefault("query", "")
    return client.post(BULK, {"ticket": [t.pk for t in tickets], **data})


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _history(ticket) -> list:
    return list(ticket.history.order_by("history_id"))


def _fresh(*tickets):
    return [Ticket.objects.get(pk=ticket.pk) for ticket in tickets]


@pytest.fixture
def three(db, engineer):
    return [
        TicketFactory(owner=engineer, priority=Priority.P2, suggested_priority=Priority.P2) for _ in range(3)
    ]


# ---------------------------------------------------------------- priority


def test_manager_changes_priority_of_selected_rows_with_one_history_entry_each(manager_client, three):
    first, second, untouched = three
    before = {t.pk: len(_history(t)) for t in three}
    response = _post(
        manager_client,
        [first, second],
        action="priority",
        priority="P0",
        reason="客户升级",
        query="priority=P2",
    )
    assert response.status_code == 302
    assert response.url == f"{LIST}?priority=P2"
    for ticket in _fresh(first, second):
        assert ticket.priority == Priority.P0
        assert ticket.priority_override_reason == "客户升级"
        history = _history(ticket)
        assert len(history) == before[ticket.pk] + 1
        assert history[-1].history_change_reason == "客户升级"
        assert history[-1].history_user.username == "manager"
    assert _fresh(untouched)[0].priority == Priority.P2
    assert len(_history(untouched)) == before[untouched.pk]
    assert any("2" in message for message in _messages(response))


def test_priority_needs_a_reason_and_nothing_changes_without_one(manager_client, three):
    response = _post(manager_client, three[:2], action="priority", priority="P0", reason="  ")
    assert response.status_code == 302
    assert {t.priority for t in _fresh(*three)} == {Priority.P2}
    assert any("原因" in message or "why" in message.lower() for message in _messages(response))


def test_back_to_the_suggested_priority_clears_the_override_reason(manager_client, db):
    ticket = TicketFactory(
        priority=Priority.P0, suggested_priority=Priority.P2, priority_override_reason="老板说的"
    )
    _post(manager_client, [ticket], action="priority", priority="P2", reason="按建议")
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_override_reason) == (Priority.P2, "")


# ---------------------------------------------------------------- per role: refused where one is


def test_engineer_hands_over_own_tickets_but_not_a_colleagues(engineer_client, engineer):
    colleague = UserFactory(username="colleague", role="engineer")
    mine = [TicketFactory(owner=engineer) for _ in range(2)]
    assert _messages(_post(engineer_client, mine, action="assign", owner=colleague.pk, reason="我休假"))
    assert [t.owner_id for t in _fresh(*mine)] == [colleague.pk, colleague.pk]
    assert _history(_fresh(mine[0])[0])[-1].history_change_reason == "我休假"

    third = UserFactory(username="third", role="engineer")
    someone_elses = TicketFactory(owner=colleague)
    own = TicketFactory(owner=engineer)
    before = [len(_history(t)) for t in (own, someone_elses)]
    response = _post(engineer_client, [own, someone_elses], action="assign", owner=third.pk, reason="x")
    own, someone_elses = _fresh(own, someone_elses)
    assert (own.owner_id, someone_elses.owner_id) == (engineer.pk, colleague.pk)
    assert [len(_history(t)) for t in (own, someone_elses)] == before
    message = _messages(response)[-1]  # after the first batch's
    assert "未做任何更改" in message
    assert someone_elses.number in message and own.number not in message


def test_reassigning_needs_a_reason_like_the_single_edit(manager_client, three, engineer):
    other = UserFactory(username="other", role="engineer")
    response = _post(manager_client, three[:2], action="assign", owner=other.pk)
    assert {t.owner_id for t in _fresh(*three)} == {engineer.pk}
    [message] = _messages(response)
    assert three[0].number in message and three[1].number in message


def test_one_refused_ticket_changes_nothing_and_the_page_names_it(engineer_client, engineer):
    own = [TicketFactory(owner=engineer, stage=Stage.DIAGNOSIS) for _ in range(2)]
    other = TicketFactory(owner=UserFactory(username="other", role="engineer"), stage=Stage.DIAGNOSIS)
    changes_before = StageChange.objects.count()
    response = _post(engineer_client, [*own, other], action="stage", to_stage="analysis", reason="需要分析")
    assert {t.stage for t in _fresh(*own, other)} == {Stage.DIAGNOSIS}
    assert StageChange.objects.count() == changes_before
    [message] = _messages(response)
    assert other.number in message
    assert all(t.number not in message for t in own)
    assert 'id="bulk-refusals"' in message  # the list, escaped HTML kept through the redirect


def test_owner_moves_own_tickets_with_the_reason_in_history(engineer_client, engineer):
    own = [TicketFactory(owner=engineer, stage=Stage.DIAGNOSIS) for _ in range(2)]
    _post(engineer_client, own, action="stage", to_stage="analysis", reason="需要分析")
    for ticket in _fresh(*own):
        assert ticket.stage == Stage.ANALYSIS
        assert ticket.stage_changes.get().reason == "需要分析"
        assert _history(ticket)[-1].history_change_reason == "需要分析"


def test_going_back_needs_the_same_confirmation_as_one_ticket(manager_client):
    tickets = [TicketFactory(stage=Stage.DESIGN) for _ in range(2)]
    _post(manager_client, tickets, action="stage", to_stage="diagnosis", reason="方案不对")
    assert {t.stage for t in _fresh(*tickets)} == {Stage.DESIGN}
    _post(manager_client, tickets, action="stage", to_stage="diagnosis", reason="方案不对", back="on")
    assert {t.stage for t in _fresh(*tickets)} == {Stage.DIAGNOSIS}


def test_close_follows_the_single_close_rule(manager_client):
    # Closing needs a verified resolution (the evaluation chapter is installed): refused, nothing changes.
    tickets = [TicketFactory(stage=Stage.EVALUATION) for _ in range(2)]
    response = _post(manager_client, tickets, action="close", reason="已解决")
    assert {t.stage for t in _fresh(*tickets)} == {Stage.EVALUATION}
    [message] = _messages(response)
    assert all(t.number in message for t in tickets)


def test_cancel_as_duplicate_names_the_other_ticket(manager_client):
    original = TicketFactory()
    copies = [TicketFactory() for _ in range(2)]
    before = [len(_history(t)) for t in copies]
    _post(manager_client, copies, action="duplicate", duplicate_number=original.number, reason="同一故障")
    for ticket, count in zip(_fresh(*copies), before, strict=True):
        assert (ticket.stage, ticket.duplicate_of_id) == (Stage.CANCELLED, original.pk)
        assert len(_history(ticket)) == count + 1
        assert original.number in ticket.stage_changes.get().reason


def test_cancel_as_duplicate_of_one_of_the_selected_refuses_that_one(manager_client):
    tickets = [TicketFactory() for _ in range(2)]
    response = _post(manager_client, tickets, action="duplicate", duplicate_number=tickets[0].number)
    assert {t.stage for t in _fresh(*tickets)} == {Stage.NEW}
    [message] = _messages(response)
    assert tickets[0].number in message


def test_link_under_a_parent_and_refusal_for_a_grouped_parent(manager_client):
    parent = TicketFactory()
    children = [TicketFactory() for _ in range(2)]
    _post(manager_client, children, action="parent", parent_number=parent.number)
    assert [t.parent_id for t in _fresh(*children)] == [parent.pk, parent.pk]

    others = [TicketFactory() for _ in range(2)]
    _post(manager_client, others, action="parent", parent_number=children[0].number)
    assert [t.parent_id for t in _fresh(*others)] == [None, None]


def test_unknown_ticket_number_is_a_translated_error(manager_client, three):
    response = _post(manager_client, three, action="parent", parent_number="TS-19990101-0001")
    assert any("TS-19990101-0001" in message for message in _messages(response))
    assert {t.parent_id for t in _fresh(*three)} == {None}


@pytest.mark.parametrize("role", ["no_role_user"])
def test_people_without_change_permission_are_refused(client, role, request, three):
    client.force_login(request.getfixturevalue(role))
    response = _post(client, three, action="priority", priority="P0", reason="x")
    assert response.status_code == 403
    assert {t.priority for t in _fresh(*three)} == {Priority.P2}


def test_get_is_not_allowed_and_csrf_is_checked(manager, manager_client, three):
    assert manager_client.get(BULK).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    response = strict.post(
        BULK, {"ticket": [three[0].pk], "action": "priority", "priority": "P0", "reason": "x"}
    )
    assert response.status_code == 403
    assert _fresh(three[0])[0].priority == Priority.P2


def test_anonymous_is_sent_to_login(client, three):
    response = _post(client, three, action="priority", priority="P0", reason="x")
    assert response.status_code == 302 and "/accounts/login/" in response.url


# ---------------------------------------------------------------- selection


def test_all_matching_the_filter_uses_the_query_string(manager_client, db):
    p2 = [TicketFactory(priority=Priority.P2, suggested_priority=Priority.P2) for _ in range(3)]
    p3 = TicketFactory(priority=Priority.P3, suggested_priority=Priority.P3)
    response = manager_client.post(
        BULK,
        {
            "scope": "matching",
            "query": "priority=P2",
            "expected": "3",
            "action": "priority",
            "priority": "P1",
            "reason": "批量调整",
        },
    )
    assert response.url == f"{LIST}?priority=P2"
    assert {t.priority for t in _fresh(*p2)} == {Priority.P1}
    assert _fresh(p3)[0].priority == Priority.P3


def test_all_matching_owner_me_means_the_person_acting(engineer_client, engineer, db):
    mine = [TicketFactory(owner=engineer, stage=Stage.DIAGNOSIS) for _ in range(2)]
    theirs = TicketFactory(stage=Stage.DIAGNOSIS)
    engineer_client.post(
        BULK,
        {
            "scope": "matching",
            "query": "owner=me",
            "expected": "2",
            "action": "stage",
            "to_stage": "analysis",
            "reason": "需要分析",
        },
    )
    assert [t.stage for t in _fresh(*mine, theirs)] == [Stage.ANALYSIS, Stage.ANALYSIS, Stage.DIAGNOSIS]


def test_a_filter_that_now_matches_more_changes_nothing(manager_client, db):
    tickets = [TicketFactory(priority=Priority.P2, suggested_priority=Priority.P2) for _ in range(3)]
    response = manager_client.post(
        BULK,
        {
            "scope": "matching",
            "query": "priority=P2",
            "expected": "2",
            "action": "priority",
            "priority": "P1",
            "reason": "批量调整",
        },
    )
    assert {t.priority for t in _fresh(*tickets)} == {Priority.P2}
    assert any("3" in message and "2" in message for message in _messages(response))


def test_bad_filter_and_bad_ids_give_messages_not_errors(manager_client, three):
    response = manager_client.post(
        BULK,
        {"scope": "matching", "query": "priority=P9", "action": "priority", "priority": "P1", "reason": "x"},
    )
    assert response.status_code == 302 and _messages(response)
    response = manager_client.post(
        BULK, {"ticket": ["abc"], "action": "priority", "priority": "P1", "reason": "x"}
    )
    assert response.status_code == 302 and _messages(response)
    response = manager_client.post(
        BULK, {"ticket": [str(2**70)], "action": "priority", "priority": "P1", "reason": "x"}
    )
    assert response.status_code == 302 and _messages(response)
    response = manager_client.post(BULK, {"action": "priority", "priority": "P1", "reason": "x"})
    assert response.status_code == 302 and _messages(response)
    response = manager_client.post(BULK, {"ticket": [three[0].pk], "action": "explode"})
    assert response.status_code == 302 and _messages(response)
    assert {t.priority for t in _fresh(*three)} == {Priority.P2}


def test_more_than_the_cap_is_refused_with_a_clear_message(manager_client, three, settings, db):
    settings.BULK_ACTION_MAX_TICKETS = 2
    response = _post(manager_client, three, action="priority", priority="P0", reason="x")
    assert {t.priority for t in _fresh(*three)} == {Priority.P2}
    [message] = _messages(response)
    assert "2" in message
    response = manager_client.post(
        BULK, {"scope": "matching", "query": "", "action": "priority", "priority": "P0", "reason": "x"}
    )
    assert {t.priority for t in _fresh(*three)} == {Priority.P2}


# ---------------------------------------------------------------- the table offers it


def test_table_offers_bulk_actions_to_those_who_may_change_tickets(
    manager_client, client, no_role_user, three
):
    page = manager_client.get(LIST + "?priority=P2").content.decode()
    assert 'id="bulk-form"' in page
    assert f'name="ticket" value="{three[0].pk}"' in page
    assert 'name="query" value="priority=P2"' in page
    assert 'name="expected" value="3"' in page


def test_table_shows_stage_and_sla_columns_after_the_document_fifteen(manager_client, db):
    due = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    TicketFactory(stage=Stage.DIAGNOSIS, sla_state="at_risk", sla_due_at=due)
    page = manager_client.get(LIST).content.decode()
    headers = page[page.index("<thead") : page.index("</thead>")]
    assert (
        headers.index("记录时间")
        < headers.index("阶段")
        < headers.index("SLA 状态")
        < headers.index("SLA 截止")
    )
    assert 'data-stage="diagnosis"' in page and ">诊断<" in page
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in page


def test_export_control_offers_the_document_layout(manager_client, db):
    page = manager_client.get(LIST + "?priority=P1").content.decode()
    assert f'href="{reverse("diagnosis:export")}?priority=P1&amp;layout=document"' in page
    assert f'href="{reverse("diagnosis:export")}?priority=P1"' in page
