"""Writes through the API: the intake's validation, Idempotency-Key, the edit page's rules, stage
changes, notes, replies and files — through the pages' services, recorded as made "via API"."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from conversation.models import Message
from diagnosis.timeline import ticket_timeline
from tests.factories import TicketFactory, UserFactory
from toolkit.choices import Stage
from toolkit.models import Ticket

from .conftest import api_client

INTAKE = {
    "customer_name": "TSA公司",
    "contact_name": "王女士",
    "contact_details": "1385678",
    "source": "ticket_system",
    "occurred_at": "2023-10-01 14:30",
    "description": "无法登录系统,提示“验证码错误”,影响3名用户提交订单",
    "error_message": "验证码错误,请重试",
    "problem_type": "functional",
    "impact_scope": "some_users",
    "users_affected": 3,
    "frequency": "persistent",
    "business_urgency": "high",
    "priority": "P1",
    "preliminary_judgement": "验证码接口异常",
    "judgement_unverified": True,
}


def _post(client, data, **headers):
    return client.post("/api/v1/tickets", data, content_type="application/json", **headers)


@pytest.mark.django_db
def test_create_logs_the_documents_row_through_the_intake(engineer_api, engineer):
    response = _post(engineer_api, INTAKE)
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.description == INTAKE["description"]  # verbatim
    assert ticket.customer.name == "TSA公司" and ticket.contact.name == "王女士"
    assert ticket.recorded_by == engineer and ticket.judgement_unverified
    assert body["contact_details"] == "1385678"  # the recorder sees what they typed
    assert ticket_timeline(ticket, viewer=engineer)[-1].who == f"via API by {engineer.display_name}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": "2999-01-01 10:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"source": "pigeon"}, "source"),
        ({"priority": "P3"}, "priority_override_reason"),  # differs from the suggestion, no reason
        ({"customer_name": ""}, "customer_name"),
        ({"owner": "nobody"}, "owner"),
        ({"users_affected": "many"}, "users_affected"),
        ({"description": None}, "description"),
    ],
)
def test_create_refuses_what_the_intake_refuses(engineer_api, change, field):
    response = _post(engineer_api, {**INTAKE, **change})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Ticket.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b"123", b'{"customer_name": {"x": 1}}', b'{"description": "a\\u0000b"}'],
)
def test_nonsense_bodies_are_a_clear_error(engineer_api, body):
    response = engineer_api.post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code in (400, 422), (body, response.status_code)
    assert response.json()["detail"]


@pytest.mark.django_db
def test_validation_errors_in_the_clients_language(engineer):
    english = _post(api_client(engineer, write=True, language="en"), {**INTAKE, "source": "pigeon"}).json()
    chinese = _post(
        api_client(engineer, write=True, language="zh-hans"), {**INTAKE, "source": "pigeon"}
    ).json()
    assert english["errors"]["source"] != chinese["errors"]["source"]
    assert "pigeon" in english["errors"]["source"][0] and "pigeon" in chinese["errors"]["source"][0]
    assert chinese["detail"] == "请求有错误。"


@pytest.mark.django_db
def test_a_retried_create_with_the_same_key_makes_one_ticket(engineer_api, manager_api):
    first = _post(engineer_api, INTAKE, HTTP_IDEMPOTENCY_KEY="abc-1")
    again = _post(engineer_api, INTAKE, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Ticket.objects.count() == 1
    # Another key, or the same key from someone else, is another ticket.
    assert _post(engineer_api, INTAKE, HTTP_IDEMPOTENCY_KEY="abc-2").status_code == 201
    assert _post(manager_api, INTAKE, HTTP_IDEMPOTENCY_KEY="abc-1").status_code == 201
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_an_overlong_key_is_refused(engineer_api):
    response = _post(engineer_api, INTAKE, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 422 and "Idempotency-Key" in response.json()["errors"]
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_refused_create_keeps_no_key(engineer_api):
    assert _post(engineer_api, {**INTAKE, "source": "x"}, HTTP_IDEMPOTENCY_KEY="k").status_code == 422
    assert _post(engineer_api, INTAKE, HTTP_IDEMPOTENCY_KEY="k").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_ticket(engineer):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    client_secret = api_client(engineer, write=True).secret
    results = []
    barrier = threading.Barrier(2)

    def post():
        from django.test import Client

        client = Client(HTTP_AUTHORIZATION=f"Bearer {client_secret}")
        barrier.wait()
        try:
            results.append(_post(client, INTAKE, HTTP_IDEMPOTENCY_KEY="race").json()["number"])
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    assert Ticket.objects.count() == 1


@pytest.fixture
def owned(engineer):
    return TicketFactory(
        number="TS-20200101-0001",
        owner=engineer,
        recorded_by=engineer,
        error_message="Error500:ConnectionTimeout 请回电13912345678",
        priority_override_reason="",
    )


@pytest.mark.django_db
def test_patch_changes_only_the_given_fields_with_history(engineer_api, engineer_client, engineer, owned):
    response = engineer_api.patch(
        f"/api/v1/tickets/{owned.number}",
        {"preliminary_judgement": "网络带宽不足", "judgement_unverified": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    owned.refresh_from_db()
    assert owned.preliminary_judgement == "网络带宽不足" and owned.judgement_unverified
    assert owned.priority == "P1" and owned.source == "phone"
    # Fields not sent keep their values, contact data included (never blanked by a PATCH).
    assert owned.contact_details == "13856785678"
    assert owned.error_message == "Error500:ConnectionTimeout 请回电13912345678"
    changed = [entry for entry in ticket_timeline(owned, viewer=engineer) if entry.kind == "changed"]
    assert changed[0].who == f"via API by {engineer.display_name}"
    # The ticket page's history says so, in the page's language.
    page = engineer_client.get(owned.get_absolute_url()).content.decode()
    assert f"{engineer.display_name}(通过 API)" in page


@pytest.mark.django_db
def test_patch_reassign_needs_a_reason_and_the_right(engineer_api, manager_api, owned):
    other = UserFactory(username="li", role="engineer")
    url = f"/api/v1/tickets/{owned.number}"
    refused = engineer_api.patch(url, {"owner": "li"}, content_type="application/json")
    assert refused.status_code == 422 and "reassign_reason" in refused.json()["errors"]
    done = engineer_api.patch(
        url, {"owner": "li", "reassign_reason": "休假"}, content_type="application/json"
    )
    assert done.status_code == 200, done.content
    owned.refresh_from_db()
    assert owned.owner == other
    # Now not the owner: the engineer may not hand it on (the edit page's rule).
    again = engineer_api.patch(
        url, {"owner": "engineer", "reassign_reason": "x"}, content_type="application/json"
    )
    assert again.status_code == 403


@pytest.mark.django_db
def test_patch_refuses_masked_fields_for_who_may_not_see_them(owned):
    stranger = UserFactory(username="zhao", role="engineer")
    response = api_client(stranger, write=True).patch(
        f"/api/v1/tickets/{owned.number}", {"contact_details": "13900000000"}, content_type="application/json"
    )
    assert response.status_code == 403
    owned.refresh_from_db()
    assert owned.contact_details == "13856785678"


@pytest.mark.django_db
def test_stage_change_through_the_service_marked_via_api(engineer_api, engineer, owned):
    url = f"/api/v1/tickets/{owned.number}/stage"
    response = engineer_api.post(
        url, {"to_stage": Stage.DIAGNOSIS, "reason": "开始诊断"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == Stage.DIAGNOSIS
    entry = next(e for e in ticket_timeline(owned, viewer=engineer) if e.kind == "stage")
    assert entry.who == f"via API by {engineer.display_name}" and entry.text == "开始诊断"
    missing = engineer_api.post(
        url, {"to_stage": Stage.ANALYSIS, "reason": ""}, content_type="application/json"
    )
    assert missing.status_code == 422 and "reason" in missing.json()["errors"]
    stranger = api_client(UserFactory(username="qian", role="engineer"), write=True)
    assert (
        stranger.post(
            url, {"to_stage": Stage.ON_HOLD, "reason": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_note_and_reply_are_conversation_messages_from_the_api(engineer_api, owned):
    note = engineer_api.post(
        f"/api/v1/tickets/{owned.number}/notes", {"body": "查日志"}, content_type="application/json"
    )
    reply = engineer_api.post(
        f"/api/v1/tickets/{owned.number}/replies", {"body": "已处理"}, content_type="application/json"
    )
    assert note.status_code == reply.status_code == 201
    kinds = {(m.kind, m.channel, m.body) for m in Message.objects.filter(ticket=owned)}
    assert kinds == {("note", "api", "查日志"), ("reply", "api", "已处理")}
    empty = engineer_api.post(
        f"/api/v1/tickets/{owned.number}/notes", {"body": "  "}, content_type="application/json"
    )
    assert empty.status_code == 422


@pytest.mark.django_db
def test_attachments_use_the_pages_type_and_size_checks(engineer_api, owned, settings):
    url = f"/api/v1/tickets/{owned.number}/attachments"
    exe = engineer_api.post(
        url, {"files": [SimpleUploadedFile("a.exe", b"MZ\x90\x00" + b"\x00" * 200, "image/png")]}
    )
    assert exe.status_code == 422, exe.content
    settings.ATTACHMENT_MAX_BYTES = 10
    big = engineer_api.post(url, {"files": [SimpleUploadedFile("a.txt", b"x" * 100, "text/plain")]})
    assert big.status_code == 422
    assert engineer_api.get(url).json() == []
    assert engineer_api.post(url, {}).status_code == 422


@pytest.mark.django_db
def test_unknown_ticket_is_404_json(engineer_api):
    for path in ("", "/sla", "/notes", "/attachments"):
        response = engineer_api.get(f"/api/v1/tickets/TS-19990101-0001{path}")
        assert response.status_code in (404, 405), path
    assert engineer_api.get("/api/v1/tickets/nope").json()["detail"]


@pytest.mark.django_db
def test_kept_answers_are_forgotten_after_a_day(engineer_api):
    from datetime import timedelta

    from django.utils import timezone

    from api.models import IdempotentRequest
    from api.services import idempotent_requests_expire

    assert _post(engineer_api, INTAKE, HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    assert idempotent_requests_expire(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotent_requests_expire(now=timezone.now() + timedelta(hours=25)) == 1
    assert not IdempotentRequest.objects.exists()
