"""转派 with a recorded reason that tells both people; followers who hear of the ticket's news."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conversation import services as conversation
from teams import services
from teams.models import Follower
from tests.factories import TicketFactory, UserFactory
from toolkit.choices import EventKind
from toolkit.models import Event, Notification, Ticket


@pytest.fixture
def li(db):
    return UserFactory(username="li", first_name="李工", role="engineer")


@pytest.fixture
def wang(db):
    return UserFactory(username="wang", first_name="王工", role="engineer")


@pytest.fixture
def ticket(li):
    return TicketFactory(owner=li, recorded_by=li)


def _told(user, kind):
    return Notification.objects.filter(user=user, event__kind=kind).count()


def test_reassigning_needs_a_reason_kept_in_history_and_tells_both(ticket, li, wang, manager):
    with pytest.raises(ValidationError):
        services.reassign(ticket=ticket, new_owner=wang, reason="  ", by=manager)
    assert Ticket.objects.get(pk=ticket.pk).owner == li and not Event.objects.exists()
    services.reassign(ticket=ticket, new_owner=wang, reason="李工出差,王工熟悉网络", by=manager)
    ticket.refresh_from_db()
    assert ticket.owner == wang
    assert ticket.history.first().history_change_reason == "李工出差,王工熟悉网络"
    assert _told(wang, EventKind.ASSIGNED) == 1 and _told(li, EventKind.REASSIGNED_AWAY) == 1
    away = Event.objects.get(kind=EventKind.REASSIGNED_AWAY)
    assert away.params["reason"] == "李工出差,王工熟悉网络" and "王工" in away.params["new_owner"]


def test_the_core_refuses_a_new_owner_without_reason(ticket, wang, manager):
    from toolkit.services import ticket_update

    with pytest.raises(ValidationError):
        ticket_update(ticket=ticket, by=manager, owner=wang)
    with pytest.raises(ValidationError):
        services.reassign(ticket=ticket, new_owner=ticket.owner, reason="同一个人", by=manager)


def test_an_engineer_cannot_reassign_someone_elses_ticket(ticket, wang):
    with pytest.raises(PermissionDenied):
        services.reassign(ticket=ticket, new_owner=wang, reason="我来", by=wang)


def test_followers_hear_of_customer_replies_and_reassigning(ticket, li, wang, manager):
    zhao = UserFactory(username="zhao", role="engineer")
    services.follow(ticket=ticket, user=zhao, by=zhao)
    services.follow(ticket=ticket, user=zhao, by=zhao)  # twice: still once
    assert Follower.objects.filter(ticket=ticket).count() == 1
    conversation.customer_message_receive(ticket=ticket, body="还是登录不了", channel="email")
    assert _told(zhao, EventKind.CUSTOMER_REPLIED) == 1 and _told(li, EventKind.CUSTOMER_REPLIED) == 1
    services.reassign(ticket=ticket, new_owner=wang, reason="换人", by=manager)
    assert _told(zhao, EventKind.REASSIGNED_AWAY) == 1
    services.unfollow(ticket=ticket, user=zhao, by=zhao)
    conversation.customer_message_receive(ticket=ticket, body="还在吗", channel="email")
    assert _told(zhao, EventKind.CUSTOMER_REPLIED) == 1  # not again


def test_a_follower_who_becomes_owner_is_told_once_as_owner(ticket, wang, manager):
    services.follow(ticket=ticket, user=wang, by=wang)
    services.reassign(ticket=ticket, new_owner=wang, reason="他接手", by=manager)
    assert Notification.objects.filter(user=wang).count() == 1
    assert _told(wang, EventKind.ASSIGNED) == 1


def test_only_the_owner_or_a_manager_adds_a_colleague(ticket, li, wang, manager):
    zhao = UserFactory(username="zhao", role="engineer")
    with pytest.raises(PermissionDenied):
        services.follow(ticket=ticket, user=zhao, by=wang)
    services.follow(ticket=ticket, user=zhao, by=li)
    with pytest.raises(PermissionDenied):
        services.unfollow(ticket=ticket, user=zhao, by=wang)
    services.unfollow(ticket=ticket, user=zhao, by=manager)
    norole = UserFactory(username="guest")
    with pytest.raises(ValidationError):
        services.follow(ticket=ticket, user=norole, by=li)


def test_followers_and_the_owner_hear_when_someone_else_moves_the_ticket(ticket, li, manager):
    from django.utils import translation

    from toolkit.notifications import event_text
    from toolkit.services import ticket_change_stage

    zhao = UserFactory(username="zhao", role="engineer", email="zhao@example.com")
    services.follow(ticket=ticket, user=zhao, by=zhao)
    # The owner moving their own ticket: the follower hears, the owner (the actor) does not.
    ticket_change_stage(ticket=ticket, to_stage="diagnosis", reason="开始诊断", by=li)
    assert _told(zhao, EventKind.STAGE_CHANGED) == 1 and _told(li, EventKind.STAGE_CHANGED) == 0
    # A manager moving it: the owner hears too; the reason goes with it, contact details masked.
    ticket_change_stage(ticket=ticket, to_stage="on_hold", reason="等客户 13812345678 回电", by=manager)
    assert _told(zhao, EventKind.STAGE_CHANGED) == 2 and _told(li, EventKind.STAGE_CHANGED) == 1
    event = Event.objects.filter(kind=EventKind.STAGE_CHANGED).latest("pk")
    assert event.params["from_stage"] == "diagnosis" and event.params["to_stage"] == "on_hold"
    assert "13812345678" not in event.params["reason"]
    with translation.override("zh-hans"):
        text = event_text(event)
        assert "从“诊断”改为“挂起”" in text.line and ticket.number in text.line
    with translation.override("en"):
        text = event_text(event)
        assert "from “Diagnosis” to “On hold”" in text.line
        assert any("13812345678" not in line and "Reason" in line for line in text.details)
    services.unfollow(ticket=ticket, user=zhao, by=zhao)
    ticket_change_stage(ticket=ticket, to_stage="diagnosis", reason="客户回电了", back=True, by=manager)
    assert _told(zhao, EventKind.STAGE_CHANGED) == 2  # no longer following


@pytest.mark.parametrize(("stage", "back_in"), [("evaluation", "diagnosis"), ("closed", "diagnosis")])
def test_a_reply_that_reopens_the_ticket_is_one_notice_naming_the_new_stage(li, stage, back_in):
    from django.utils import translation

    from toolkit.models import StageChange
    from toolkit.notifications import event_text

    ticket = TicketFactory(owner=li, recorded_by=li, stage=stage)
    zhao = UserFactory(username="zhao", role="engineer")
    services.follow(ticket=ticket, user=zhao, by=zhao)

    conversation.customer_message_receive(ticket=ticket, body="问题又出现了", channel="email")

    # The move is recorded, but the follower hears of the reply and the move in one notice.
    assert StageChange.objects.filter(ticket=ticket, from_stage=stage, to_stage=back_in).count() == 1
    assert Notification.objects.filter(user=zhao).count() == 1
    assert _told(zhao, EventKind.CUSTOMER_REPLIED) == 1
    assert not Event.objects.filter(kind=EventKind.STAGE_CHANGED).exists()
    assert Notification.objects.filter(user=li).count() == 1
    event = Event.objects.get(kind=EventKind.CUSTOMER_REPLIED)
    with translation.override("zh-hans"):
        assert event_text(event).line.endswith("已回到“诊断”")
    with translation.override("en"):
        assert event_text(event).line.endswith("it is back in “Diagnosis”")


def test_a_reply_that_moves_nothing_reads_as_before(ticket, li):
    from django.utils import translation

    from toolkit.notifications import event_text

    conversation.customer_message_receive(ticket=ticket, body="补充一下截图", channel="email")
    with translation.override("en"):
        line = event_text(Event.objects.get(kind=EventKind.CUSTOMER_REPLIED)).line
    assert line == f"The customer replied on {ticket.number} ({ticket.customer.name})"


def test_an_approval_tells_its_authors_once_and_the_followers_of_the_move(li, manager):
    from tests.toolkit.test_events import _submitted_design
    from toolkit.choices import Stage

    ticket = TicketFactory(owner=li, recorded_by=li, stage=Stage.DESIGN)
    zhao = UserFactory(username="zhao", role="engineer")
    services.follow(ticket=ticket, user=zhao, by=zhao)
    solutions = _submitted_design(ticket, li)

    solutions.design_approve(ticket=ticket, by=manager, comment="同意")

    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.IMPLEMENTATION
    # The owner wrote the design: the approval tells them; the move it makes is not told again.
    assert _told(li, EventKind.DESIGN_DECIDED) == 1 and _told(li, EventKind.STAGE_CHANGED) == 0
    # The follower wrote none of it: they hear of the move.
    assert _told(zhao, EventKind.STAGE_CHANGED) == 1 and _told(zhao, EventKind.DESIGN_DECIDED) == 0
