"""The API side of tests/toolkit/test_privacy_sweep.py: every documented read operation, asked about a
ticket with a phone number in each free-text field, its clarification and the customer's message, by a
colleague's token (an engineer who neither owns nor recorded it), answers without the number."""

import pytest

from tests.factories import UserFactory
from tests.toolkit.test_privacy_sweep import PHONE, phone_everywhere

from .conftest import api_client

pytestmark = pytest.mark.django_db


def test_no_read_operation_shows_the_phone_number_to_a_colleague_without_the_right(manager):
    owner = UserFactory(username="owner-of-it", role="engineer")
    ticket = phone_everywhere(owner=owner, by=manager, contact_details=PHONE)
    api = api_client(UserFactory(username="colleague", role="engineer"))
    schema = api.get("/api/v1/openapi.json").json()
    values = {"number": ticket.number, "customer_id": str(ticket.customer_id)}
    read = []
    for template, operations in schema["paths"].items():
        if "get" not in operations or "{attachment_id}" in template:
            continue
        path = template.format(**values)
        response = api.get(path, {"q": ticket.customer.name} if path.endswith("/search") else {})
        assert response.status_code == 200, path
        assert PHONE not in response.content.decode(), path
        read.append(path)
    assert f"/api/v1/tickets/{ticket.number}" in read and len(read) >= 10
    assert "138****5678" in api.get(f"/api/v1/tickets/{ticket.number}").content.decode()
