import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from attachments.models import Attachment
from attachments.services import attachments_add
from tests.attachments.conftest import png, png_bytes, stored_files
from tests.factories import TicketFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_cannot_both_pass_the_ticket_limit(settings, media):
    """Two threads on PostgreSQL, each adding a file when the ticket has room for one: the ticket row's
    lock makes the second see the first. (SQLite's in-memory test database refuses a second writer.)"""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent transactions need PostgreSQL")
    engineer = UserFactory(role="engineer")
    ticket = TicketFactory(owner=engineer)
    settings.ATTACHMENTS_MAX_BYTES_PER_TICKET = len(png_bytes()) * 3
    attachments_add(ticket=ticket, files=[png(), png()], by=engineer)
    barrier = threading.Barrier(2)
    added, refused, errors = [], [], []

    def upload():
        try:
            barrier.wait()
            added.append(attachments_add(ticket=ticket, files=[png()], by=engineer))
        except ValidationError as error:
            refused.append(error.code)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (len(added), refused) == (1, ["ticket_full"])
    assert Attachment.objects.filter(ticket=ticket).count() == 3
    assert len(stored_files(media)) == 3
