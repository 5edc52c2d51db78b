"""Report-form and status-page token misuse: wrong, malformed, revoked and rate-limited links all stop
before anything is shown or saved; only the token's hash is stored; a signed-in browser is refused."""

import hashlib
from unittest import mock

import pytest
from django.urls import reverse

from portal import services
from portal.models import ReportLink, StatusLink
from toolkit.models import Ticket

from .conftest import answers

pytestmark = pytest.mark.django_db


def report_path(token):
    return reverse("portal_public:report", kwargs={"token": token})


def status_path(token):
    return reverse("portal_public:status", kwargs={"token": token})


def test_tokens_are_long_random_and_only_their_hash_is_stored(issued, reported):
    assert len(issued.token) >= 43  # token_urlsafe(32): 256 bits
    link = ReportLink.objects.get()
    assert link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in str(ReportLink.objects.values().get())
    _ticket, status_token = reported
    assert status_token not in str(list(StatusLink.objects.values()))


@pytest.mark.parametrize(
    "token",
    [
        "x" * 43,  # well formed, unknown
        "short",
        "a" * 200,
        "%E2%80%AE" * 5,
    ],
)
def test_a_wrong_token_gets_the_same_plain_page_and_saves_nothing(anon, issued, token):
    for path in (report_path(token), status_path(token)):
        response = anon.get(path)
        assert response.status_code == 404
        assert b'id="portal-unavailable"' in response.content
        assert "TSA公司".encode() not in response.content
    assert anon.post(report_path(token), answers()).status_code == 404
    assert anon.post(status_path(token), {"body": "x"}).status_code == 404
    assert not Ticket.objects.exists()


def test_a_revoked_report_link_opens_nothing_and_saves_nothing(anon, issued, engineer):
    unknown = anon.get(report_path("y" * 43)).content
    services.report_link_revoke(link=issued.link, by=engineer, reason="发错了客户")

    response = anon.get(report_path(issued.token))
    assert response.status_code == 404
    assert response.content == unknown  # the same page as an unknown link, byte for byte
    assert anon.post(report_path(issued.token), answers()).status_code == 404
    assert not Ticket.objects.exists()
    link = ReportLink.objects.get()
    assert link.revoked_by == engineer and link.revoke_reason == "发错了客户" and link.revoked_at


def test_a_new_report_link_stops_the_old_one(anon, issued, customer, engineer):
    new = services.report_link_issue(customer=customer, by=engineer)
    assert anon.get(report_path(issued.token)).status_code == 404
    assert anon.get(report_path(new.token)).status_code == 200
    old = ReportLink.objects.get(pk=issued.link.pk)
    assert old.revoke_reason == "已由新链接取代。" and old.revoked_by == engineer


def test_a_revoked_status_link_opens_nothing_and_takes_nothing(anon, reported, engineer):
    ticket, token = reported
    link = StatusLink.objects.get(ticket=ticket)
    services.status_link_revoke(link=link, by=engineer, reason="客户要求")
    assert anon.get(status_path(token)).status_code == 404
    assert anon.post(status_path(token), {"body": "还在吗"}).status_code == 404
    assert not ticket.messages.exists()
    # A re-sent report form with the same key leads to the (now closed) page, never a second ticket.
    assert Ticket.objects.count() == 1


def test_revoking_needs_a_reason(issued, engineer):
    with pytest.raises(services.ValidationError):
        services.report_link_revoke(link=issued.link, by=engineer, reason="  ")
    assert ReportLink.objects.get().revoked_at is None


def test_lookups_are_rate_limited_per_address(anon, issued, settings):
    settings.PORTAL_RATE_LIMITS = {"lookup": (3, 600)}
    for _ in range(3):
        assert anon.get(report_path("z" * 43)).status_code == 404  # guessing counts too
    response = anon.get(report_path(issued.token))
    assert response.status_code == 429
    assert b'id="portal-too-many"' in response.content
    # Another address is not held back by this one's guesses.
    assert anon.get(report_path(issued.token), REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_link_is_rate_limited_from_everywhere(anon, issued, settings):
    settings.PORTAL_RATE_LIMITS = {"link": (2, 3600)}
    assert anon.get(report_path(issued.token), REMOTE_ADDR="198.51.100.1").status_code == 200
    assert anon.get(report_path(issued.token), REMOTE_ADDR="198.51.100.2").status_code == 200
    assert anon.get(report_path(issued.token), REMOTE_ADDR="198.51.100.3").status_code == 429


def test_reports_are_rate_limited_per_address(anon, issued, settings):
    settings.PORTAL_RATE_LIMITS = {"report_submit": (2, 3600)}
    for _ in range(2):
        assert anon.post(report_path(issued.token), answers()).status_code == 302
    response = anon.post(report_path(issued.token), answers())
    assert response.status_code == 429
    assert Ticket.objects.count() == 2


def test_messages_are_rate_limited_per_address(anon, reported, settings):
    settings.PORTAL_RATE_LIMITS = {"message_submit": (1, 3600)}
    _ticket, token = reported
    assert anon.post(status_path(token), {"body": "一"}).status_code == 302
    assert anon.post(status_path(token), {"body": "二"}).status_code == 429
    assert anon.get(status_path(token)).status_code == 200  # reading still works


def test_a_failing_cache_lets_the_customer_through(anon, issued, caplog):
    with mock.patch("toolkit.ratelimit.cache") as broken:
        broken.add.side_effect = ConnectionError("redis down")
        assert anon.get(report_path(issued.token)).status_code == 200
    assert "cache failed" in caplog.text


def test_signed_in_staff_are_refused_on_the_status_page(engineer_client, reported):
    _ticket, token = reported
    response = engineer_client.get(status_path(token))
    assert response.status_code == 403
    assert b'id="portal-staff-refused"' in response.content
