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


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a loopback port, and Django's SMTP backend pointed at it."""
    from tests.conversation import smtp as smtp_server

    controller, mailbox = smtp_server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "support@desk.example.com"
    settings.REPLY_FROM_EMAIL = ""
    settings.MESSAGE_ID_DOMAIN = ""
    yield mailbox
    controller.stop()
