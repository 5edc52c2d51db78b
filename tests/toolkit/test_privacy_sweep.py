"""Contact details in a ticket's free text never reach a colleague who may not see them, on any page.

One ticket carries a phone number in every free-text field a customer or an engineer fills in, and in
the conversation; two more customers report the same problem (so the page proposes an incident, which
quotes the text). Then every GET page of the URL configuration — with this ticket's number where it
takes one, and the table and search asked about it — is read as an engineer who neither owns nor
recorded the ticket. A page added later that shows the text without toolkit.privacy's rule fails here.
"""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from conversation import services as conversation
from tests.factories import ContactFactory, TicketFactory, UserFactory
from tests.toolkit.test_every_url_guarded import PUBLIC, _named_patterns, _path
from toolkit.services import ticket_add_clarification

pytestmark = pytest.mark.django_db
PHONE = "13812345678"
SHARED_ERROR = f"回调 {PHONE} 失败"
# The table's export and the import template: read by their own tests (diagnosis/test_contact_privacy).
BINARY = {"diagnosis:export", "diagnosis:import_template"}


def phone_everywhere(*, owner, by, **fields):
    """A ticket of `owner`'s with PHONE in each free-text field, a clarification (by `by`) and the
    customer's message (tests/api/test_privacy_sweep.py asks the API about the same)."""
    ticket = TicketFactory(
        owner=owner,
        recorded_by=owner,
        error_message=SHARED_ERROR,
        description=f"客户说请打 {PHONE} 联系张女士",
        preliminary_judgement=f"等 {PHONE} 回电",
        **fields,
    )
    ticket_add_clarification(ticket=ticket, text=f"补充:白天打 {PHONE}", by=by)
    conversation.customer_message_receive(ticket=ticket, body=f"还是不行,打我 {PHONE}", channel="email")
    return ticket


@pytest.fixture
def ticket(settings, manager):
    settings.BATCH_INCIDENT_MIN_CUSTOMERS = 3
    owner = UserFactory(username="owner-of-it", role="engineer")
    ticket = phone_everywhere(owner=owner, by=manager, contact=ContactFactory(details="13900000000"))
    for n in (1, 2):  # two more customers report it: the page proposes an incident
        TicketFactory(
            owner=owner,
            recorded_by=owner,
            contact=ContactFactory(details=f"1390000000{n}"),
            error_message=SHARED_ERROR,
            description=ticket.description,
        )
    return ticket


def _text(response, body: bytes) -> str:
    """The page, or every cell of a workbook (a zip: its bytes would hide the number)."""
    if "spreadsheetml" not in response.get("Content-Type", ""):
        return body.decode(errors="replace")
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(
        str(value)
        for sheet in workbook
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value
    )


def test_no_page_shows_the_phone_number_to_a_colleague_without_the_right(ticket):
    colleague = UserFactory(username="colleague", role="engineer")
    client = Client()
    client.force_login(colleague)
    paths = [
        path
        for name, route, groups in _named_patterns()
        if name not in PUBLIC and name not in BINARY and not name.startswith("api:")
        for path in [_path(route, groups, ticket.number)]
    ]
    paths += [
        f"/diagnosis/?q={ticket.customer.name}",
        f"/diagnosis/?q={ticket.number}",
        f"/search/?q={ticket.number}",
        f"/search/?q={ticket.customer.name}",
    ]
    read = set()
    for path in paths:
        response = client.get(path)
        # A streamed answer (a file) is read to its end, which closes it (the test client's wrapper).
        body = b"".join(response) if response.streaming else response.content
        if response.status_code == 200:
            read.add(path)
            assert PHONE not in _text(response, body), path
    # The walk read the pages that show the ticket, not only refusals.
    number = ticket.number
    assert {f"/diagnosis/{number}/", f"/diagnosis/{number}/edit/", f"/requirements/{number}/"} <= read
    assert {f"/solutions/{number}/", f"/tracking/{number}/", f"/evaluation/{number}/", "/my/"} <= read
    # (searching a number opens the ticket itself)
    assert f"/search/?q={ticket.customer.name}" in read and f"/diagnosis/?q={number}" in read
    assert {f"/requirements/{number}/export.xlsx", f"/solutions/{number}/export.xlsx"} <= read
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert 'id="incident-proposal"' in page and "138****5678" in page
