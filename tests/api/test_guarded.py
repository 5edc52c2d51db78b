"""Every operation × role × scope: 401 without a token, 403 for a read token writing or a role without
the right, and an engineer sees contact data masked exactly as on the pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import TicketFactory, UserFactory
from toolkit.choices import Stage

from .conftest import api_client

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _operations(ticket):
    """(method, path, body kind, body) for every operation in the OpenAPI document."""
    number, customer = ticket.number, ticket.customer_id
    intake = {
        "customer_name": "TSA公司",
        "contact_name": "王女士",
        "contact_details": "13856785678",
        "source": "phone",
        "occurred_at": "2023-10-01 14:30",
        "description": "无法登录系统",
        "impact_scope": "some_users",
        "business_urgency": "high",
        "frequency": "persistent",
        "priority": "P1",
        "priority_override_reason": "客户要求",
    }
    return {
        ("get", "/api/v1/tickets"): None,
        ("post", "/api/v1/tickets"): ("json", intake),
        ("get", "/api/v1/tickets/{number}"): None,
        ("patch", "/api/v1/tickets/{number}"): ("json", {"preliminary_judgement": "验证码接口异常"}),
        ("post", "/api/v1/tickets/{number}/stage"): (
            "json",
            {"to_stage": Stage.DIAGNOSIS, "reason": "开始诊断"},
        ),
        ("post", "/api/v1/tickets/{number}/notes"): ("json", {"body": "内部备注"}),
        ("post", "/api/v1/tickets/{number}/replies"): ("json", {"body": "您好"}),
        ("get", "/api/v1/tickets/{number}/attachments"): None,
        ("post", "/api/v1/tickets/{number}/attachments"): ("files", None),
        ("get", "/api/v1/tickets/{number}/sla"): None,
        ("get", "/api/v1/tickets/{number}/requirements"): None,
        ("get", "/api/v1/tickets/{number}/options"): None,
        ("get", "/api/v1/tickets/{number}/tasks"): None,
        ("get", "/api/v1/tickets/{number}/evaluation"): None,
        ("get", "/api/v1/customers"): None,
        ("get", "/api/v1/customers/{customer_id}"): None,
        ("get", "/api/v1/customers/{customer_id}/contacts"): None,
        ("get", "/api/v1/knowledge/search"): None,
    }, {"number": number, "customer_id": str(customer)}


def _call(client, method, path, body):
    if body is None:
        return getattr(client, method)(path)
    kind, data = body
    if kind == "files":
        return client.post(path, {"files": [SimpleUploadedFile("shot.png", PNG, "image/png")]})
    return getattr(client, method)(path, data, content_type="application/json")


def _documented(client):
    schema = client.get("/api/v1/openapi.json").json()
    return {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if "{attachment_id}" not in path  # the download: its own test below (needs a file)
    }


@pytest.fixture
def ticket(engineer):
    # The engineer owns it, so their writes (stage included) are allowed. A number from another day: the
    # API's own intake numbers today's tickets from 0001.
    return TicketFactory(number="TS-20200101-0001", owner=engineer, recorded_by=engineer)


def test_the_walk_covers_every_documented_operation(engineer_api, ticket):
    operations, _ = _operations(ticket)
    assert _documented(engineer_api) == set(operations)


def test_every_operation_needs_a_token(ticket):
    operations, values = _operations(ticket)
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    for (method, path), body in operations.items():
        response = _call(anonymous, method, path.format(**values), body)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["detail"]


def test_a_session_is_not_a_token(engineer_client, ticket):
    """No session authentication on the API (so no CSRF question): a signed-in browser gets 401."""
    operations, values = _operations(ticket)
    for (method, path), body in operations.items():
        assert _call(engineer_client, method, path.format(**values), body).status_code == 401, path


def test_a_read_token_may_not_write(engineer_read_api, ticket):
    operations, values = _operations(ticket)
    for (method, path), body in operations.items():
        response = _call(engineer_read_api, method, path.format(**values), body)
        if method == "get":
            assert response.status_code == 200, (path, response.content)
        else:
            assert response.status_code == 403, (method, path, response.status_code)
            assert "read" in response.json()["detail"]


def test_a_write_token_does_everything_its_role_may(engineer_api, ticket):
    operations, values = _operations(ticket)
    for (method, path), body in operations.items():
        response = _call(engineer_api, method, path.format(**values), body)
        assert response.status_code in (200, 201), (method, path, response.status_code, response.content)


def test_a_user_without_a_role_gets_nothing(no_role_api, ticket):
    operations, values = _operations(ticket)
    for (method, path), body in operations.items():
        response = _call(no_role_api, method, path.format(**values), body)
        assert response.status_code == 403, (method, path, response.status_code, response.content)


def test_attachment_download_needs_the_right(engineer_api, no_role_api, ticket):
    created = engineer_api.post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        {"files": [SimpleUploadedFile("shot.png", PNG, "image/png")]},
    )
    assert created.status_code == 201, created.content
    url = created.json()[0]["download_url"]
    response = engineer_api.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG if response.streaming else response.content == PNG
    assert no_role_api.get(url).status_code == 403
    assert Client().get(url).status_code == 401
    assert engineer_api.get(url.replace(ticket.number, "TS-20000101-0001")).status_code == 404


def test_engineer_sees_contact_data_masked_as_on_the_page(engineer, engineer_client):
    other = UserFactory(username="other", role="engineer")
    ticket = TicketFactory(
        owner=other, recorded_by=other, contact_details="13856785678", error_message="请回电13912345678"
    )
    api = api_client(engineer)
    data = api.get(f"/api/v1/tickets/{ticket.number}").json()
    listed = api.get("/api/v1/tickets").json()["results"][0]
    page = engineer_client.get(reverse("diagnosis:list")).content.decode()
    detail = engineer_client.get(ticket.get_absolute_url()).content.decode()
    assert data["contact_details"] == listed["contact_details"] == "138****5678"
    assert data["contact"] == listed["contact"] == "*" + ticket.contact.name[1:]
    assert data["error_message"] == "请回电139****5678"
    assert data["contact_details_masked"] is True
    for html in (page, detail):
        assert "138****5678" in html and "13856785678" not in html
    assert data["contact"] in page


def test_owner_and_manager_see_contact_data(engineer, manager):
    ticket = TicketFactory(owner=engineer, recorded_by=engineer, contact_details="13856785678")
    for user in (engineer, manager):
        data = api_client(user).get(f"/api/v1/tickets/{ticket.number}").json()
        assert data["contact_details"] == "13856785678"
        assert data["contact"] == ticket.contact.name


def test_contacts_masked_without_the_permission(engineer, manager):
    ticket = TicketFactory(owner=engineer, recorded_by=engineer)
    url = f"/api/v1/customers/{ticket.customer_id}/contacts"
    masked = api_client(engineer).get(url).json()[0]
    clear = api_client(manager).get(url).json()[0]
    assert masked["details"] == "138****5678" and masked["masked"] is True
    assert clear["details"] == "13856785678" and clear["masked"] is False


def test_docs_page_needs_a_login_and_serves_its_files_locally(engineer, no_role_user):
    client = Client()
    response = client.get("/api/v1/docs")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/api/v1/openapi.json").status_code == 401
    engineer_client = Client()
    engineer_client.force_login(engineer)
    page = engineer_client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert engineer_client.get("/api/v1/openapi.json").status_code == 200
    client.force_login(no_role_user)
    assert client.get("/api/v1/docs").status_code == 403


BAD_QUERY = (
    "?q=%27%22%3Cscript%3E&limit=-1&offset=abc&cursor=%%%&sort=zzz&occurred_after=yesterday"
    "&priority=P9&stage=zzz&owner=abc&customer=x&sla=zzz&" + "q=" + "长" * 3000
)


def test_nonsense_never_breaks_an_operation(manager_api, engineer):
    """Garbage in every query string and body: a clear 4xx answer in JSON, never a 500."""
    ticket = TicketFactory(number="TS-20200101-0001", owner=engineer, recorded_by=engineer)
    operations, values = _operations(ticket)
    broken = []
    for (method, path), _body in operations.items():
        url = path.format(**values)
        response = manager_api.get(url + BAD_QUERY) if method == "get" else None
        if response is not None and (
            response.status_code >= 500 or not response["Content-Type"].startswith("application/json")
        ):
            broken.append((method, url, response.status_code))
        for body in ({"body": 5, "to_stage": [], "reason": {"x": 1}, "owner": 3}, [1, 2], "x") * (
            method != "get"
        ):
            response = getattr(manager_api, method)(url, body, content_type="application/json")
            if response.status_code >= 500:
                broken.append((method, url, body, response.status_code))
    for url in (
        "/api/v1/customers/abc",
        "/api/v1/customers/99999999999999999999",
        "/api/v1/tickets/x%20y/sla",
    ):
        if manager_api.get(url).status_code >= 500:
            broken.append(("get", url))
    assert broken == []
