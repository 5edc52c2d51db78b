"""The admin's view of inbound mail: failed ones found by filter, processed again by an action, sender
addresses masked for staff who may not see contact details, and a list without a query per row."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inbound import services
from inbound.models import InboundMail, InboundStatus
from tests.factories import UserFactory
from tests.inbound.conftest import make_mail
from toolkit.models import Ticket

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:inbound_inboundmail_changelist")


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def take(raw: bytes) -> InboundMail:
    mail, _taken = services.mail_take(raw=raw)
    return mail


def test_a_mail_failed_for_want_of_an_owner_is_processed_again_by_the_admin(client, superuser):
    failed = take(make_mail(subject="没有责任人时收到"))
    assert failed.status == InboundStatus.FAILED and "INBOUND_DEFAULT_OWNER" in failed.error
    UserFactory(username="boss", role="manager")
    client.force_login(superuser)

    listed = client.get(CHANGELIST, {"status__exact": InboundStatus.FAILED})
    assert "没有责任人时收到" in listed.content.decode()
    response = client.post(
        CHANGELIST, {"action": "process_again", "_selected_action": [failed.pk]}, follow=True
    )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == InboundStatus.PROCESSED and failed.attempts == 2 and failed.error == ""
    assert Ticket.objects.get().owner.username == "boss"


def test_a_mail_that_fails_again_keeps_its_updated_error(superuser):
    broken = take(b"Subject: no sender at all\r\n\r\nbody\r\n")
    assert broken.status == InboundStatus.FAILED

    again = services.mail_retry(mail=broken, by=superuser)

    assert again.status == InboundStatus.FAILED and again.attempts == 2 and "sender" in again.error
    assert Ticket.objects.count() == 0


def test_only_those_allowed_may_process_a_mail_again(engineer):
    failed = take(b"Subject: x\r\n\r\nbody\r\n")
    with pytest.raises(PermissionDenied):
        services.mail_retry(mail=failed, by=engineer)


def test_staff_without_the_contact_permission_see_senders_masked(client):
    take(make_mail(sender="王女士 <wang@tsa.example.com>", subject="电话 13856785678"))
    viewer = UserFactory(username="auditor", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_inboundmail"))
    client.force_login(viewer)

    page = client.get(CHANGELIST).content.decode()

    assert "w****@tsa.example.com" in page and "wang@tsa.example.com" not in page
    assert "13856785678" not in page


def test_the_list_costs_the_same_queries_for_many_mails(
    client, superuser, manager, django_assert_num_queries
):
    for n in range(2):
        take(make_mail(subject=f"第{n}封"))
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    for n in range(2, 12):
        take(make_mail(subject=f"第{n}封"))

    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(CHANGELIST).status_code == 200
