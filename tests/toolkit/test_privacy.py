import pytest

from tests.factories import TicketFactory, UserFactory
from toolkit.privacy import can_see_contact_details, mask_contact_details, mask_free_text, mask_person_name


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


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("请联系 13856785678 或 alice.w@example.com.cn", "请联系 138****5678 或 a****@example.com.cn"),
        ("电话 +86 138-5678-5678,座机 010-12345678", "电话 +86****5678,座机 010****5678"),
        ("phone +44 20 7946 0958", "phone +44****0958"),
        # Chinese text runs straight into the number, with no space.
        ("请回电13856785678谢谢", "请回电138****5678谢谢"),
        ("座机010-12345678转分机", "座机010****5678转分机"),
        ("订单号2026112713856785678", "订单号2026112713856785678"),
        # Dates, times, error codes, ticket numbers and order numbers are not contact details.
        ("2026-11-27 15:14 Error500 TS-20261127-0001", "2026-11-27 15:14 Error500 TS-20261127-0001"),
        ("订单 20261127001 金额 12345678", "订单 20261127001 金额 12345678"),
        ("", ""),
    ],
)
def test_phones_and_emails_in_free_text_are_masked(text, masked):
    assert mask_free_text(text) == masked


@pytest.mark.django_db
def test_contact_records_without_a_ticket_need_the_permission(engineer, manager):
    assert not can_see_contact_details(engineer)
    assert can_see_contact_details(manager)
