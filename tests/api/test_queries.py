"""The API's lists cost the same number of queries for few rows and for many (no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ContactFactory, CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    client.get(url)  # per-process caches (permissions, content types) warmed first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    return len(queries)


def test_lists_do_not_query_per_row(manager_api, engineer):
    customer = CustomerFactory(name="TSA公司")
    ticket = TicketFactory(customer=customer, owner=engineer, recorded_by=engineer)
    urls = [
        "/api/v1/tickets",
        "/api/v1/customers",
        f"/api/v1/customers/{customer.pk}/contacts",
        f"/api/v1/tickets/{ticket.number}/attachments",
        f"/api/v1/tickets/{ticket.number}/tasks",
        f"/api/v1/tickets/{ticket.number}/requirements",
        f"/api/v1/tickets/{ticket.number}/options",
    ]
    few = {url: _count(manager_api, url) for url in urls}
    for index in range(8):
        other = CustomerFactory()
        ContactFactory(customer=customer, name=f"联系人{index}")
        TicketFactory(customer=other, owner=engineer, recorded_by=engineer)
    many = {url: _count(manager_api, url) for url in urls}
    assert many == few
