"""Tickets logged through the real service (so SLA targets exist), with a contact who has an e-mail."""

import pytest
from django.utils import timezone

from tests.factories import ContactFactory, UserFactory
from toolkit import services as core
from toolkit.choices import Priority, ProblemType, Source


def log_ticket(owner, *, email="wang@example.com", language="", details="13856785678", description=None):
    contact = ContactFactory(email=email, language=language, details=details)
    return core.ticket_create(
        recorded_by=owner,
        owner=owner,
        customer=contact.customer,
        contact=contact,
        contact_details=details,
        source=Source.EMAIL,
        occurred_at=timezone.now(),
        description="系统无法登录,提示验证码错误\n影响3名用户提交订单"
        if description is None
        else description,
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P1,
        suggested_priority=Priority.P1,
    )


@pytest.fixture
def ticket(engineer):
    return log_ticket(engineer)


@pytest.fixture
def outsider(db):
    """An active account without a service role: may not write in a conversation."""
    return UserFactory(username="visitor", first_name="访客", job_title="")
