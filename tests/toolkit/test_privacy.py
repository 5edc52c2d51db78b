import pytest

from tests.factories import TicketFactory, UserFactory
from toolkit.privacy import can_see_contact_details, mask_contact_details, mask_person_name


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13856785678", "138****5678"),
        ("1385678", "138****78"),
        ("139", "****"),
        ("alice@example.com", "a****@example.com"),
        ("", ""),
        ("wechat: wx_zhang_2023", "wec****2023"),
    ],
)
def test_contact_details_are_masked(value, masked):
    assert mask_contact_details(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("王女士", "*女士"), ("*女士", "*女士"), ("李明", "*明"), ("Alice Smith", "A****"), ("", "")],
)
def test_person_names_are_masked(value, masked):
    assert mask_person_name(value) == masked


@pytest.mark.django_db
def test_engineer_sees_only_own_tickets_unmasked(engineer, manager):
    own = TicketFactory(owner=engineer, recorded_by=engineer)
    recorded = TicketFactory(recorded_by=engineer)
    other = TicketFactory()
    assert can_see_contact_details(engineer, own)
    assert can_see_contact_details(engineer, recorded)
    assert not can_see_contact_details(engineer, other)
    assert can_see_contact_details(manager, other)


@pytest.mark.django_db
def test_user_without_role_sees_nothing_unmasked():
    user = UserFactory()
    assert not can_see_contact_details(user, TicketFactory())
