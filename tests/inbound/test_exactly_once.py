"""Each mail is taken exactly once: two pollers at once, a poller that dies mid-mail, a mail without a
Message-ID delivered twice."""

import threading

import pytest
from django.db import connection, connections

from inbound import services
from inbound.models import InboundMail, InboundStatus
from tests.inbound.conftest import make_mail
from toolkit.models import Ticket


class PollerDied(BaseException):
    """Stands for the process being killed: not an Exception, so nothing in the poll catches it."""


@pytest.fixture(autouse=True)
def owner(manager):
    return manager


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_make_one_ticket_per_mail(dovecot, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite's shared-cache test database answers 'table is locked' across threads; "
            "CI runs this on PostgreSQL"
        )
    dovecot.deliver(*(make_mail(subject=f"第{n}封") for n in range(8)))
    both_fetched = threading.Barrier(2, timeout=20)
    take = services.mail_take
    calls = threading.local()

    def take_together(**kwargs):
        if not getattr(calls, "met", False):
            calls.met = True
            both_fetched.wait()  # both pollers hold the same unseen mails before either takes one
        return take(**kwargs)

    monkeypatch.setattr(services, "mail_take", take_together)
    outcomes, errors = [], []

    def poller():
        try:
            outcomes.append(services.poll_once())
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Ticket.objects.count() == 8
    assert InboundMail.objects.filter(status=InboundStatus.PROCESSED).count() == 8
    assert sum(outcome.taken for outcome in outcomes) == 8
    assert sum(outcome.already_taken for outcome in outcomes) == 8  # each mail seen by both
    assert dovecot.unseen() == []


@pytest.mark.django_db
def test_a_poller_that_dies_mid_mail_leaves_nothing_half_done(dovecot, monkeypatch):
    dovecot.deliver(make_mail(subject="无法登录系统"))
    real_create = services.core.ticket_create

    def create_then_die(**fields):
        real_create(**fields)
        raise PollerDied

    monkeypatch.setattr(services.core, "ticket_create", create_then_die)
    with pytest.raises(PollerDied):
        services.poll_once()

    assert Ticket.objects.count() == 0  # rolled back with the claim
    assert InboundMail.objects.count() == 0
    assert len(dovecot.unseen()) == 1  # still there for the next poll

    monkeypatch.setattr(services.core, "ticket_create", real_create)
    outcome = services.poll_once()

    assert outcome.statuses == {InboundStatus.PROCESSED: 1}
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_poller_that_dies_after_commit_but_before_flagging_seen_takes_nothing_twice(dovecot, monkeypatch):
    dovecot.deliver(make_mail())
    from imapclient import IMAPClient

    def die(*args, **kwargs):
        raise PollerDied

    with monkeypatch.context() as patch:
        patch.setattr(IMAPClient, "add_flags", die)
        with pytest.raises(PollerDied):
            services.poll_once()
    assert Ticket.objects.count() == 1
    assert len(dovecot.unseen()) == 1

    outcome = services.poll_once()

    assert outcome.already_taken == 1 and outcome.taken == 0
    assert Ticket.objects.count() == 1
    assert dovecot.unseen() == []


@pytest.mark.django_db
def test_a_mail_without_message_id_is_keyed_by_its_bytes(dovecot):
    raw = make_mail(message_id=None)
    dovecot.deliver(raw, raw, make_mail(message_id=None, subject="另一封"))

    services.poll_once()

    assert Ticket.objects.count() == 2
    assert all(
        key.startswith("raw-sha256:") for key in InboundMail.objects.values_list("message_id", flat=True)
    )
