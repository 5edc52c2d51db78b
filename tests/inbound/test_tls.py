"""IMAP over TLS against a real Dovecot that requires it (tests/inbound/dovecot.py, start(tls=True)): the
server's certificate comes from a throw-away CA and names ``localhost`` only. Verification is on by
default (the system's trust store), INBOUND_EMAIL_CA_FILE trusts a private CA, and a refused handshake
leaves the mail unseen in the mailbox for the next poll; nothing ever falls back to plain text."""

import logging
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from inbound import checks, tasks
from inbound.models import InboundMail
from tests.inbound.conftest import make_mail
from tests.inbound.dovecot import make_certificates
from tests.inbound.test_settings import SilentServer
from toolkit.choices import Source
from toolkit.models import Ticket

pytestmark = pytest.mark.django_db

SCHEMES = ["imaps", "imap+starttls"]


@pytest.fixture(autouse=True)
def owner(manager):
    return manager


@pytest.fixture(autouse=True)
def english():
    """The messages asserted below in English (the desk's default language is Chinese)."""
    with translation.override("en"):
        yield


def assert_untouched(server, count: int = 1):
    """Nothing taken: no row, no ticket, and the mail still unseen for the next poll."""
    assert InboundMail.objects.count() == 0 and Ticket.objects.count() == 0
    assert len(server.unseen()) == count


@pytest.mark.parametrize("scheme", SCHEMES)
def test_fetch_mail_over_tls_with_the_private_ca_trusted_opens_a_ticket(dovecot_tls, settings, scheme):
    settings.INBOUND_EMAIL_URL = dovecot_tls.url(scheme=scheme)
    dovecot_tls.deliver(make_mail(subject="TLS 下收到的邮件"))

    call_command("fetch_mail")

    ticket = Ticket.objects.get()
    assert ticket.source == Source.EMAIL and ticket.description.startswith("TLS 下收到的邮件")
    assert dovecot_tls.unseen() == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_an_untrusted_certificate_is_refused_and_the_mail_waits_for_the_next_poll(
    dovecot_tls, settings, scheme, caplog
):
    settings.INBOUND_EMAIL_URL = dovecot_tls.url(scheme=scheme)
    settings.INBOUND_EMAIL_CA_FILE = ""  # the system's trust store does not know the throw-away CA
    dovecot_tls.deliver(make_mail())

    with pytest.raises(CommandError, match=r"certificate is not trusted \(.*\).*INBOUND_EMAIL_CA_FILE"):
        call_command("fetch_mail")
    with caplog.at_level(logging.WARNING, logger="inbound.tasks"):
        assert tasks.fetch_mail_task() == {}
    assert "not trusted" in caplog.text
    assert_untouched(dovecot_tls)

    settings.INBOUND_EMAIL_CA_FILE = str(dovecot_tls.ca_file)
    call_command("fetch_mail")

    assert Ticket.objects.count() == 1 and dovecot_tls.unseen() == []


def test_another_ca_is_not_trusted_either(dovecot_tls, settings, tmp_path):
    other_ca, _server, _key = make_certificates(tmp_path, name="Some other CA")
    settings.INBOUND_EMAIL_CA_FILE = str(other_ca)  # the file replaces the system store: only this CA
    dovecot_tls.deliver(make_mail())

    with pytest.raises(CommandError, match="not trusted"):
        call_command("fetch_mail")
    assert_untouched(dovecot_tls)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_host_name_the_certificate_does_not_name_is_refused(dovecot_tls, settings, scheme):
    settings.INBOUND_EMAIL_URL = dovecot_tls.url(scheme=scheme, host="127.0.0.1")  # cert: localhost only
    dovecot_tls.deliver(make_mail())

    mismatch = r"not trusted \(IP address mismatch, certificate is not valid for '127\.0\.0\.1'\)"
    with pytest.raises(CommandError, match=mismatch):
        call_command("fetch_mail")
    assert_untouched(dovecot_tls)


def test_imaps_to_a_server_without_tls_fails_the_handshake_instead_of_talking_plain(dovecot, settings):
    settings.INBOUND_EMAIL_URL = dovecot.url().replace("imap://", "imaps://")
    dovecot.deliver(make_mail())

    with pytest.raises(CommandError, match="TLS handshake failed"):
        call_command("fetch_mail")
    assert_untouched(dovecot)


def test_starttls_to_a_server_that_does_not_offer_it_is_refused(dovecot, settings):
    settings.INBOUND_EMAIL_URL = dovecot.url().replace("imap://", "imap+starttls://")
    dovecot.deliver(make_mail())

    with pytest.raises(CommandError, match="does not support STARTTLS"):
        call_command("fetch_mail")
    assert_untouched(dovecot)


def test_a_missing_ca_file_fails_the_check_and_fetch_mail_names_it(dovecot_tls, settings, tmp_path):
    missing = tmp_path / "no-such-ca.pem"
    settings.INBOUND_EMAIL_CA_FILE = str(missing)
    dovecot_tls.deliver(make_mail())

    assert [error.id for error in checks.inbound_settings()] == ["inbound.E004"]
    with pytest.raises(CommandError, match="INBOUND_EMAIL_CA_FILE .*no-such-ca.pem"):
        call_command("fetch_mail")
    assert tasks.fetch_mail_task() == {}
    assert_untouched(dovecot_tls)


def test_a_ca_file_with_plain_imap_is_a_warning(settings, tmp_path):
    ca_file, _server, _key = make_certificates(tmp_path)
    settings.INBOUND_EMAIL_URL = "imap://desk:pw@127.0.0.1:14301/INBOX"
    settings.INBOUND_EMAIL_CA_FILE = str(ca_file)
    assert [error.id for error in checks.inbound_settings()] == ["inbound.W001"]


@pytest.mark.parametrize(
    ("scheme", "greeting"),
    [("imaps", False), ("imap+starttls", True)],
    ids=["imaps-handshake-hangs", "starttls-hangs"],
)
def test_a_tls_handshake_that_hangs_fails_within_the_deadline(settings, scheme, greeting):
    server = SilentServer(greeting=greeting)
    settings.INBOUND_EMAIL_URL = f"{scheme}://desk:pw@localhost:{server.port}/INBOX"
    settings.INBOUND_EMAIL_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    try:
        with pytest.raises(CommandError):
            call_command("fetch_mail")
    finally:
        server.close()
    assert time.monotonic() - started < 5
