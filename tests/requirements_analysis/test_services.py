"""Constraint validation and the consensus state, through the services."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from requirements_analysis import services
from requirements_analysis.models import ConfirmationStatus, ConstraintType, RequirementItem, RequirementKind
from requirements_analysis.selectors import consensus_of
from tests.factories import TicketFactory
from toolkit.choices import Stage

from .factories import RequirementItemFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

BASE = {
    "summary": "预算≤10万元",
    "collection_method": "interview",
    "source_person": "王女士",
    "value": 3,
    "urgency": 3,
    "effort": 3,
    "moscow": "must",
}


def test_budget_constraint_keeps_a_typed_amount(engineer):
    ticket = TicketFactory()
    item = services.requirement_item_create(
        ticket=ticket,
        by=engineer,
        kind=RequirementKind.CONSTRAINT,
        constraint_type=ConstraintType.AMOUNT,
        constraint_amount=Decimal("100000"),
        constraint_text="元",
        **BASE,
    )
    item.refresh_from_db()
    assert item.constraint_value == Decimal("100000.00")
    assert item.constraint_date is None


@pytest.mark.parametrize(
    ("constraint", "field"),
    [
        ({}, "constraint_type"),
        ({"constraint_type": ConstraintType.AMOUNT}, "constraint_amount"),
        ({"constraint_type": ConstraintType.AMOUNT, "constraint_amount": Decimal("-1")}, "constraint_amount"),
        ({"constraint_type": ConstraintType.DATE}, "constraint_date"),
        ({"constraint_type": ConstraintType.TEXT, "constraint_text": "  "}, "constraint_text"),
    ],
)
def test_constraint_without_a_value_of_its_type_is_refused_and_nothing_saved(engineer, constraint, field):
    ticket = TicketFactory()
    with pytest.raises(ValidationError) as error:
        services.requirement_item_create(
            ticket=ticket, by=engineer, kind=RequirementKind.CONSTRAINT, **constraint, **BASE
        )
    assert field in error.value.message_dict
    assert not RequirementItem.objects.exists()


def test_explicit_requirement_drops_leftover_constraint_values(engineer):
    item = services.requirement_item_create(
        ticket=TicketFactory(),
        by=engineer,
        kind=RequirementKind.EXPLICIT,
        constraint_type=ConstraintType.DATE,
        constraint_date=datetime.date(2024, 6, 30),
        **BASE,
    )
    item.refresh_from_db()
    assert (item.constraint_type, item.constraint_date) == ("", None)


def test_scale_outside_one_to_five_is_refused(engineer):
    with pytest.raises(ValidationError) as error:
        services.requirement_item_create(ticket=TicketFactory(), by=engineer, **{**BASE, "value": 6})
    assert "value" in error.value.message_dict
    assert not RequirementItem.objects.exists()


def test_items_cannot_change_on_a_closed_ticket(engineer):
    with pytest.raises(ValidationError):
        services.requirement_item_create(ticket=TicketFactory(stage=Stage.CLOSED), by=engineer, **BASE)


# ---------------------------------------------------------------- consensus


@pytest.fixture
def analysed(db):
    ticket = TicketFactory()
    item = RequirementItemFactory(ticket=ticket)
    people = [StakeholderFactory(ticket=ticket) for _ in range(3)]
    return ticket, item, people


def test_all_stakeholders_confirming_confirms_the_analysis(analysed, engineer):
    ticket, _, people = analysed
    for person in people[:2]:
        services.stakeholder_respond(stakeholder=person, status=ConfirmationStatus.CONFIRMED, by=engineer)
    assert not consensus_of(ticket).is_confirmed
    services.stakeholder_respond(stakeholder=people[2], status=ConfirmationStatus.CONFIRMED, by=engineer)
    consensus = consensus_of(ticket)
    assert consensus.is_confirmed
    assert (consensus.confirmed_count, consensus.pending_count) == (3, 0)


def test_a_dispute_keeps_the_analysis_unconfirmed(analysed, engineer):
    ticket, _, people = analysed
    for person in people[:2]:
        services.stakeholder_respond(stakeholder=person, status=ConfirmationStatus.CONFIRMED, by=engineer)
    services.stakeholder_respond(
        stakeholder=people[2], status=ConfirmationStatus.DISPUTED, comment="预算不够", by=engineer
    )
    consensus = consensus_of(ticket)
    assert not consensus.is_confirmed
    assert consensus.disputed_count == 1


def test_a_dispute_must_say_why(analysed, engineer):
    _, _, people = analysed
    with pytest.raises(ValidationError) as error:
        services.stakeholder_respond(stakeholder=people[0], status=ConfirmationStatus.DISPUTED, by=engineer)
    assert "comment" in error.value.message_dict
    people[0].refresh_from_db()
    assert people[0].status == ConfirmationStatus.PENDING


def test_no_items_or_no_stakeholders_is_never_confirmed(engineer):
    ticket = TicketFactory()
    assert not consensus_of(ticket).is_confirmed
    RequirementItemFactory(ticket=ticket)
    assert not consensus_of(ticket).is_confirmed  # items but nobody to agree
    person = StakeholderFactory(ticket=TicketFactory())
    with pytest.raises(ValidationError):  # nothing to confirm on that ticket
        services.stakeholder_respond(stakeholder=person, status=ConfirmationStatus.CONFIRMED, by=engineer)


@pytest.mark.parametrize("change", ["edit", "add", "delete", "move"])
def test_changing_items_after_confirmation_resets_to_pending_with_reason(analysed, engineer, change):
    ticket, item, people = analysed
    second = RequirementItemFactory(ticket=ticket, summary="第二项")
    for person in people:
        services.stakeholder_respond(stakeholder=person, status=ConfirmationStatus.CONFIRMED, by=engineer)
    assert consensus_of(ticket).is_confirmed

    if change == "edit":
        services.requirement_item_update(item=item, by=engineer, essential_need="要能追溯历史版本")
    elif change == "add":
        services.requirement_item_create(ticket=ticket, by=engineer, **BASE)
    elif change == "delete":
        services.requirement_item_delete(item=second, by=engineer)
    else:
        services.requirement_item_move(item=second, direction=services.UP, by=engineer)

    assert not consensus_of(ticket).is_confirmed
    for person in people:
        person.refresh_from_db()
        assert person.status == ConfirmationStatus.PENDING
        assert person.reset_reason and person.reset_at
        assert person.history.first().history_change_reason


def test_saving_an_item_unchanged_keeps_confirmations(analysed, engineer):
    ticket, item, people = analysed
    for person in people:
        services.stakeholder_respond(stakeholder=person, status=ConfirmationStatus.CONFIRMED, by=engineer)
    services.requirement_item_update(item=item, by=engineer, summary=item.summary)
    assert consensus_of(ticket).is_confirmed


def test_move_swaps_neighbours_and_stops_at_the_ends(engineer):
    ticket = TicketFactory()
    first, second, third = (RequirementItemFactory(ticket=ticket, position=p) for p in (5, 9, 9))
    services.requirement_item_move(item=third, direction=services.UP, by=engineer)
    order = list(
        RequirementItem.objects.filter(ticket=ticket).order_by("position").values_list("pk", flat=True)
    )
    assert order == [first.pk, third.pk, second.pk]
    services.requirement_item_move(item=first, direction=services.UP, by=engineer)
    order = list(
        RequirementItem.objects.filter(ticket=ticket).order_by("position").values_list("pk", flat=True)
    )
    assert order == [first.pk, third.pk, second.pk]
