"""The stage flow's guard rails in the service (issue 14 §6): going back is deliberate and explained,
closing needs a resolution, and a duplicate is cancelled naming the ticket it duplicates."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evaluation.models import Verification, VerificationMethod
from tests.factories import TicketFactory, UserFactory
from toolkit import chapters
from toolkit.choices import Stage
from toolkit.models import StageChange, Ticket
from toolkit.services import ticket_cancel_as_duplicate, ticket_change_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory(username="flow-owner", first_name="王工", role="engineer")


def _ticket(owner, stage, **fields):
    return TicketFactory(owner=owner, recorded_by=owner, stage=stage, **fields)


# ---------------------------------------------------------------- going back


def test_going_back_without_confirming_is_refused(owner):
    ticket = _ticket(owner, Stage.DESIGN)
    with pytest.raises(ValidationError) as refused:
        ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="方案不成立", by=owner)
    assert refused.value.error_dict["to_stage"][0].code == "back"
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DESIGN
    assert not StageChange.objects.exists()


def test_going_back_without_a_reason_is_refused_even_when_confirmed(owner):
    ticket = _ticket(owner, Stage.DESIGN)
    with pytest.raises(ValidationError) as refused:
        ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="  ", by=owner, back=True)
    assert "reason" in refused.value.error_dict
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DESIGN


def test_going_back_confirmed_with_a_reason_is_recorded(owner):
    ticket = _ticket(owner, Stage.DESIGN)
    change = ticket_change_stage(
        ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="根因判断有误", by=owner, back=True
    )
    assert (change.from_stage, change.to_stage, change.reason) == (
        Stage.DESIGN,
        Stage.DIAGNOSIS,
        "根因判断有误",
    )
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DIAGNOSIS


def test_forward_hold_and_resume_need_no_confirmation(owner):
    ticket = _ticket(owner, Stage.DIAGNOSIS)
    ticket_change_stage(ticket=ticket, to_stage=Stage.DESIGN, reason="跳过需求分析", by=owner)
    ticket_change_stage(ticket=ticket, to_stage=Stage.ON_HOLD, reason="等客户", by=owner)
    ticket_change_stage(ticket=ticket, to_stage=Stage.DESIGN, reason="客户回复", by=owner)
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DESIGN


def test_reopening_a_closed_ticket_is_going_back(owner):
    ticket = _ticket(owner, Stage.CLOSED)
    with pytest.raises(ValidationError):
        ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="复发", by=owner)
    ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="复发", by=owner, back=True)
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DIAGNOSIS


# ---------------------------------------------------------------- closing


def test_closing_without_a_verified_resolution_is_refused(owner):
    ticket = _ticket(owner, Stage.EVALUATION)
    with pytest.raises(ValidationError) as refused:
        ticket_change_stage(ticket=ticket, to_stage=Stage.CLOSED, reason="完成", by=owner)
    assert refused.value.error_dict["to_stage"][0].code == "resolution"
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.EVALUATION


def test_closing_with_a_verified_resolution_is_allowed(owner):
    ticket = _ticket(owner, Stage.EVALUATION)
    Verification.objects.create(ticket=ticket, verified_by=owner, method=VerificationMethod.CUSTOMER)
    change = ticket_change_stage(ticket=ticket, to_stage=Stage.CLOSED, reason="客户确认", by=owner)
    assert change.to_stage == Stage.CLOSED
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.CLOSED


def test_without_an_evaluation_chapter_closing_needs_a_resolution_text(owner):
    ticket = _ticket(owner, Stage.IMPLEMENTATION)
    evaluation = chapters.unregister("evaluation")
    try:
        with pytest.raises(ValidationError) as refused:
            ticket_change_stage(ticket=ticket, to_stage=Stage.CLOSED, reason="完成", by=owner)
        assert "resolution" in refused.value.error_dict
        change = ticket_change_stage(
            ticket=ticket, to_stage=Stage.CLOSED, reason="完成", by=owner, resolution="重启服务后恢复"
        )
    finally:
        assert evaluation is not None
        chapters.register(evaluation)
    assert "重启服务后恢复" in change.reason


# ---------------------------------------------------------------- cancelled as a duplicate


def test_cancel_as_duplicate_records_the_other_ticket(owner):
    original = _ticket(owner, Stage.DIAGNOSIS)
    copy = _ticket(owner, Stage.NEW)
    change = ticket_cancel_as_duplicate(ticket=copy, duplicate_of=original, by=owner, reason="客户重复来电")
    copy.refresh_from_db()
    assert copy.stage == Stage.CANCELLED
    assert copy.duplicate_of == original
    assert list(original.duplicates.all()) == [copy]
    assert change.reason == f"重复于 {original.number}: 客户重复来电" or original.number in change.reason
    assert original.number in change.reason and "客户重复来电" in change.reason
    last = copy.history.first()
    assert last.duplicate_of_id == original.pk
    assert original.number in last.history_change_reason
    assert copy.history.count() == 2  # created, then one entry for the cancellation


def test_cancel_as_duplicate_of_itself_is_refused(owner):
    ticket = _ticket(owner, Stage.DIAGNOSIS)
    with pytest.raises(ValidationError):
        ticket_cancel_as_duplicate(ticket=ticket, duplicate_of=ticket, by=owner)
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DIAGNOSIS


def test_cancel_as_duplicate_of_a_cancelled_ticket_is_refused(owner):
    first = _ticket(owner, Stage.DIAGNOSIS)
    second = _ticket(owner, Stage.DIAGNOSIS)
    third = _ticket(owner, Stage.DIAGNOSIS)
    ticket_cancel_as_duplicate(ticket=second, duplicate_of=first, by=owner)
    with pytest.raises(ValidationError) as refused:
        ticket_cancel_as_duplicate(ticket=third, duplicate_of=second, by=owner)
    assert second.number in refused.value.messages[0]
    assert Ticket.objects.get(pk=third.pk).duplicate_of is None


def test_a_duplicate_chain_leading_back_is_refused(owner):
    first = _ticket(owner, Stage.DIAGNOSIS)
    second = _ticket(owner, Stage.DIAGNOSIS, duplicate_of=first)  # an inconsistent row, made by hand
    with pytest.raises(ValidationError):
        ticket_cancel_as_duplicate(ticket=first, duplicate_of=second, by=owner)
    assert Ticket.objects.get(pk=first.pk).stage == Stage.DIAGNOSIS


def test_an_already_cancelled_or_closed_ticket_cannot_become_a_duplicate(owner):
    original = _ticket(owner, Stage.DIAGNOSIS)
    for stage in (Stage.CANCELLED, Stage.CLOSED):
        ticket = _ticket(owner, stage)
        with pytest.raises(ValidationError):
            ticket_cancel_as_duplicate(ticket=ticket, duplicate_of=original, by=owner)
        assert Ticket.objects.get(pk=ticket.pk).duplicate_of is None


def test_cancel_as_duplicate_keeps_the_cancel_permission(owner, engineer):
    original = _ticket(owner, Stage.DIAGNOSIS)
    copy = _ticket(owner, Stage.DIAGNOSIS)
    with pytest.raises(PermissionDenied):
        ticket_cancel_as_duplicate(ticket=copy, duplicate_of=original, by=engineer)
    assert Ticket.objects.get(pk=copy.pk).stage == Stage.DIAGNOSIS
